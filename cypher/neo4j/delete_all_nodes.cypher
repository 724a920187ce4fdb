// Empties the database in batches (tests and `generate --reset` only). Needs an auto-commit
// transaction: CALL { } IN TRANSACTIONS cannot run inside a managed one.
MATCH (n)
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
