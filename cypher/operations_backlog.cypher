// What waits for the service's own workers, for the metrics: held entries whose hold has
// passed (the releaser's), events not yet dispatched and deliveries pending or failed (the
// webhook worker's).
OPTIONAL MATCH (e:LedgerEntry {status: 'pending'})
WHERE e.available_from <= $now
WITH count(e) AS due_releases
OPTIONAL MATCH (o:OutboxEvent {state: 'new'})
WITH due_releases, count(o) AS new_events
OPTIONAL MATCH (d:Delivery {state: 'pending'})
WITH due_releases, new_events, count(d) AS pending_deliveries
OPTIONAL MATCH (f:Delivery {state: 'failed'})
RETURN due_releases, new_events, pending_deliveries, count(f) AS failed_deliveries
