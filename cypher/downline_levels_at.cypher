// A member's downline as it stood at $as_of, by level below her: who had joined by then and,
// of them, who was paid by then (GET /v1/members/{id}/downline/counts?as_of=). A walk of her
// downline then: the invitation edges valid at $as_of (a sponsor move ends one edge and starts
// another), and paid marks undone since count while they held. No row for a member who is
// not there.
MATCH (m:Member {id: $id})
OPTIONAL MATCH below = (d:Member)-[:INVITED_BY|WAS_INVITED_BY*1..]->(m)
WHERE d.joined_at <= $as_of
  AND all(r IN relationships(below) WHERE coalesce(r.valid_from, 0) <= $as_of AND (r.valid_to IS NULL OR $as_of < r.valid_to))
WITH length(below) AS level, d
WITH level, count(d) AS total,
     sum(CASE WHEN (coalesce(d.paid_at <= $as_of, false)
       OR any(i IN range(0, size(coalesce(d.paid_since, [])) - 1)
       WHERE d.paid_since[i] <= $as_of AND $as_of < d.paid_until[i])) THEN 1 ELSE 0 END) AS paid
RETURN level, total, paid
