// Webhooks: endpoints and deliveries by id (unique), the outbox's events by id and by state
// (the dispatcher reads the new ones), deliveries by state (the worker reads the pending
// ones) and by endpoint (its deliveries page).
CREATE CONSTRAINT webhook_id_unique IF NOT EXISTS
FOR (w:Webhook) REQUIRE w.id IS UNIQUE;
CREATE CONSTRAINT delivery_id_unique IF NOT EXISTS
FOR (d:Delivery) REQUIRE d.id IS UNIQUE;
CREATE INDEX outbox_event_id IF NOT EXISTS
FOR (e:OutboxEvent) ON (e.id);
CREATE INDEX outbox_event_state IF NOT EXISTS
FOR (e:OutboxEvent) ON (e.state);
CREATE INDEX delivery_state IF NOT EXISTS
FOR (d:Delivery) ON (d.state);
CREATE INDEX delivery_webhook IF NOT EXISTS
FOR (d:Delivery) ON (d.webhook_id)
