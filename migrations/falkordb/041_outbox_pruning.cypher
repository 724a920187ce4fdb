// Pruning the outbox (outbox_prune.cypher): events by when they were dispatched, deliveries
// by their event.
CREATE INDEX FOR (e:OutboxEvent) ON (e.dispatched_at);
CREATE INDEX FOR (d:Delivery) ON (d.event_id)
