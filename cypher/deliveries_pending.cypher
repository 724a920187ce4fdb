// An endpoint's pending deliveries in the order they must arrive (as outbox_new_events), due
// or not: the worker sends a member's first one when it is due and holds back the rest.
MATCH (d:Delivery {state: 'pending'})
WHERE d.webhook_id = $webhook_id
RETURN properties(d) AS delivery
ORDER BY d.written_at, d.rank, d.event_id
LIMIT $limit
