// Webhooks: endpoints and deliveries by id (unique, in the next migrations), the outbox's
// events by id and by state (the dispatcher reads the new ones), deliveries by state (the
// worker reads the pending ones) and by endpoint (its deliveries page).
CREATE INDEX FOR (w:Webhook) ON (w.id);
CREATE INDEX FOR (e:OutboxEvent) ON (e.id, e.state);
CREATE INDEX FOR (d:Delivery) ON (d.id, d.state, d.webhook_id)
