// Benchmark setup: the members with the largest downlines (a full scan, setup only).
MATCH (m:Member)
RETURN m.id AS id, m.downline_total AS total
ORDER BY total DESC
LIMIT $limit
