// Releases held entries whose hold has passed, unless their order is refunded in full:
// pending -> available, with the moment recorded, each original together with its
// reversals, so that a reversal always shares its original's status. At most $limit
// originals per statement.
// Each entry is locked (in id order, as a refund locks an order's originals) and read
// again under the lock: a refund that committed meanwhile may have emptied its order.
MATCH (e:LedgerEntry {status: 'pending'})
WHERE e.available_from <= $now AND e.reverses IS NULL
OPTIONAL MATCH (o:Order {id: e.order_id})
WITH e, o
WHERE o IS NULL OR o.refunded < o.amount
WITH e
ORDER BY e.id
LIMIT $limit
SET e.lock_ = true
WITH e
REMOVE e.lock_
WITH e
WHERE e.status = 'pending'
OPTIONAL MATCH (o:Order {id: e.order_id})
WITH e, o
WHERE o IS NULL OR o.refunded < o.amount
SET e.status = 'available', e.released_at = $now
WITH e
// Its reversals, from the order's entries (indexed), not a scan of every entry.
OPTIONAL MATCH (r:LedgerEntry {order_id: e.order_id})
WHERE r.reverses = e.id AND r.status = 'pending'
SET r.status = 'available', r.released_at = $now
RETURN count(DISTINCT e) AS released
