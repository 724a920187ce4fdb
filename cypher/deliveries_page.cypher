// An endpoint's deliveries, newest first, after the cursor ($before_at, $before_id), of one
// state or all ($state null).
MATCH (d:Delivery {webhook_id: $webhook_id})
WHERE ($state IS NULL OR d.state = $state)
  AND (d.written_at < $before_at OR (d.written_at = $before_at AND d.event_id < $before_id))
RETURN properties(d) AS delivery
ORDER BY d.written_at DESC, d.event_id DESC
LIMIT $limit
