// Benchmark setup: members one step below a root.
MATCH (m:Member)
WHERE m.depth = 1
RETURN m.id AS id
LIMIT $limit
