// The earliest paid mark at or after a moment.
MATCH (m:Member)
WHERE m.paid_at >= $at
RETURN m.id AS id, m.paid_at AS paid_at
ORDER BY m.paid_at
LIMIT 1
