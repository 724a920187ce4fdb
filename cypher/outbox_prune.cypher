// Deletes up to $limit events dispatched before $before with their deliveries, once none of
// those is pending (a delivery still being retried, or sent again by an admin, keeps its
// event). Answers how many events went. On Neo4j each delivery's write lock is taken before
// its state is read again: a resend committed after the pending ones were listed keeps the
// event. Events never dispatched are never deleted.
OPTIONAL MATCH (p:Delivery {state: 'pending'})
WITH collect(DISTINCT p.event_id) AS busy
MATCH (e:OutboxEvent)
WHERE e.dispatched_at < $before AND NOT e.id IN busy
WITH e
LIMIT $limit
OPTIONAL MATCH (d:Delivery {event_id: e.id})
WITH e, collect(d) AS deliveries
FOREACH (x IN deliveries | SET x.lock_ = true REMOVE x.lock_)
WITH e, deliveries
WHERE none(x IN deliveries WHERE x.state = 'pending')
FOREACH (x IN deliveries | DELETE x)
DELETE e
RETURN count(*) AS pruned
