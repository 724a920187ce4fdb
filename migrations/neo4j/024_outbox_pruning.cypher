// Pruning the outbox (outbox_prune.cypher): events by when they were dispatched, deliveries
// by their event.
CREATE INDEX outbox_event_dispatched_at IF NOT EXISTS
FOR (e:OutboxEvent) ON (e.dispatched_at);
CREATE INDEX delivery_event IF NOT EXISTS
FOR (d:Delivery) ON (d.event_id)
