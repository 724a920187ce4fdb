// Members who had joined, and who were paid, before $at (the dashboard's running totals
// start from these).
OPTIONAL MATCH (m:Member)
WHERE m.joined_at < $at
WITH count(m) AS joined
OPTIONAL MATCH (p:Member)
WHERE p.paid_at < $at
RETURN joined, count(p) AS paid
