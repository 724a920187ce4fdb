// Disables an endpoint: no event is dispatched to it from now on and its pending deliveries
// are no longer sent (they stay, listed as pending). No row when there is no such endpoint.
MATCH (w:Webhook {id: $id})
SET w.status = 'disabled', w.disabled_at = coalesce(w.disabled_at, $now)
RETURN properties(w) AS webhook
