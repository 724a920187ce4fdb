// Benchmark setup: member ids to read.
MATCH (m:Member)
RETURN m.id AS id
LIMIT $limit
