// Releases held entries whose hold has passed, unless their order is refunded in full:
// pending -> available, with the moment recorded. At most $limit per statement.
MATCH (e:LedgerEntry {status: 'pending'})
WHERE e.available_from <= $now
OPTIONAL MATCH (o:Order {id: e.order_id})
WITH e, o
WHERE o IS NULL OR o.refunded < o.amount
WITH e
LIMIT $limit
SET e.status = 'available', e.released_at = $now
RETURN count(e) AS released
