MERGE (x:Migration {name: $name})
ON CREATE SET x.applied_at = $applied_at
