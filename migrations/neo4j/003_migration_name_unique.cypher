CREATE CONSTRAINT migration_name_unique IF NOT EXISTS
FOR (x:Migration) REQUIRE x.name IS UNIQUE
