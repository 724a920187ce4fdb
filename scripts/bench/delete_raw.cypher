// Benchmark teardown: removes the bare load.
MATCH (m:RawMember)
CALL (m) { DETACH DELETE m } IN TRANSACTIONS OF 10000 ROWS
