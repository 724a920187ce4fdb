// A member's downline as it stood at $as_of, by level below her: who had joined by then and,
// of them, who was paid by then (GET /v1/members/{id}/downline/counts?as_of=). A walk of her
// whole downline: history is not kept in counters. No row for a member who is not there.
MATCH (m:Member {id: $id})
OPTIONAL MATCH (d:Member)-[:INVITED_BY*1..]->(m)
WHERE d.joined_at <= $as_of
WITH m, d.depth - m.depth AS level, d
WITH level, count(d) AS total,
     sum(CASE WHEN d.paid_at IS NOT NULL AND d.paid_at <= $as_of THEN 1 ELSE 0 END) AS paid
RETURN level, total, paid
