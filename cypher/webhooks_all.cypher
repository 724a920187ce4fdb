// Every webhook endpoint, oldest first (an installation has a handful).
MATCH (w:Webhook)
RETURN properties(w) AS webhook
ORDER BY w.created_at, w.id
