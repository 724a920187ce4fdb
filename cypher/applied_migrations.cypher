MATCH (x:Migration)
RETURN x.name AS name
