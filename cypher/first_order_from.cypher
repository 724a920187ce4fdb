// The earliest order placed at or after a moment.
MATCH (o:Order)
WHERE o.placed_at >= $at
RETURN o.id AS id, o.placed_at AS placed_at
ORDER BY o.placed_at
LIMIT 1
