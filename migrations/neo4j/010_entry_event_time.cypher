// Every ledger entry carries its event time (`event_at`: the order's placed_at, the
// refund's refunded_at, the paid mark's paid_at) beside its write time, and every released
// entry the moment it became payable (`released_at`; one written after its hold had passed
// was payable from its write). Entries written before both were kept get them here, in
// batches so that a ledger of millions does not become one transaction.
CREATE INDEX ledger_entry_event_at IF NOT EXISTS
FOR (e:LedgerEntry) ON (e.event_at);
MATCH (e:LedgerEntry)
WHERE e.event_at IS NULL
CALL (e) {
  OPTIONAL MATCH (r:Refund {id: e.refund_id})
  OPTIONAL MATCH (o:Order {id: e.order_id})
  OPTIONAL MATCH (m:Member {id: e.buyer_id})
  SET e.event_at = coalesce(
    CASE WHEN e.refund_id IS NOT NULL THEN r.refunded_at
         WHEN e.order_id IS NOT NULL THEN o.placed_at
         ELSE m.paid_at END,
    e.created_at)
} IN TRANSACTIONS OF 10000 ROWS;
MATCH (e:LedgerEntry)
WHERE e.status = 'available' AND e.released_at IS NULL
CALL (e) {
  SET e.released_at = e.created_at
} IN TRANSACTIONS OF 10000 ROWS
