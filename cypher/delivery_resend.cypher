// Sends a failed or delivered delivery again (a receiver that lost it): pending from $now,
// with a new day of retries. The worker sends it before its member's later pending events,
// which wait for it. A pending one is left as it is. No row when the endpoint has no
// delivery of that event.
MATCH (d:Delivery {id: $id})
WHERE d.webhook_id = $webhook_id
SET d.lock_ = true
WITH d
REMOVE d.lock_
// On Neo4j the outbox's pruner may have deleted it while this waited for its lock: a node
// deleted meanwhile reads as no properties, and there is nothing to send again.
WITH d
WHERE d.id = $id
WITH d, d.state IN ['failed', 'delivered'] AS resent
FOREACH (x IN CASE WHEN resent THEN [d] ELSE [] END |
  SET x.state = 'pending', x.next_attempt_at = $now, x.retry_from = $now)
RETURN properties(d) AS delivery, resent
