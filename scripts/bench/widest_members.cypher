// Benchmark setup: the members with the most direct invitees (a full scan, setup only).
MATCH (m:Member)
RETURN m.id AS id, m.levels_total[0] AS direct
ORDER BY direct DESC
LIMIT $limit
