// Registers a webhook endpoint under its id, unless one exists: MERGE, so two creates of one
// id at once make one endpoint. Answers the stored endpoint (secret included: the service
// shows it only to the create and its retries) and whether this call created it.
MERGE (w:Webhook {id: $webhook.id})
ON CREATE SET w.url = $webhook.url, w.events = $webhook.events,
  w.description = $webhook.description, w.secret = $webhook.secret, w.status = 'active',
  w.created_at = $webhook.created_at, w.new_ = true
WITH w, coalesce(w.new_, false) AS created
REMOVE w.new_
RETURN properties(w) AS webhook, created
