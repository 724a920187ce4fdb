CREATE INDEX FOR (x:Migration) ON (x.name)
