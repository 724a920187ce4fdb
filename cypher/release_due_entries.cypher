// Releases held entries whose hold has passed, unless their order is refunded in full:
// pending -> available, with the moment recorded and a ledger.entry_released event each,
// each original together with its reversals, so that a reversal always shares its
// original's status. At most $limit
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
CREATE (:OutboxEvent {
  id: 'evt_' + randomUUID(), type: 'ledger.entry_released', member_id: e.beneficiary_id,
  at: $now, rank: $entry_released_rank, entry_id: e.id, order_id: e.order_id, amount: e.amount,
  currency: e.currency, written_at: $written_at, state: 'new'
})
WITH e
// Its reversals, from the order's entries (indexed), not a scan of every entry.
OPTIONAL MATCH (r:LedgerEntry {order_id: e.order_id})
WHERE r.reverses = e.id AND r.status = 'pending'
SET r.status = 'available', r.released_at = $now
FOREACH (x IN CASE WHEN r IS NULL THEN [] ELSE [r] END |
  CREATE (:OutboxEvent {
    id: 'evt_' + randomUUID(), type: 'ledger.entry_released', member_id: x.beneficiary_id,
    at: $now, rank: $entry_released_rank, entry_id: x.id, order_id: x.order_id, amount: x.amount,
    currency: x.currency, written_at: $written_at, state: 'new'
  }))
RETURN count(DISTINCT e) AS released
