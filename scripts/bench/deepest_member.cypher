// Benchmark setup: the bottom of the deepest chain (a full scan, setup only).
MATCH (m:Member)
RETURN m.id AS id, m.depth AS depth
ORDER BY depth DESC
LIMIT 1
