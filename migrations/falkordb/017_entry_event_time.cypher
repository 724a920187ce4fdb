// Every ledger entry carries its event time (`event_at`: the order's placed_at, the
// refund's refunded_at, the paid mark's paid_at) beside its write time, and every released
// entry the moment it became payable (`released_at`; one written after its hold had passed
// was payable from its write). Entries written before both were kept get them here.
CREATE INDEX FOR (e:LedgerEntry) ON (e.event_at);
MATCH (e:LedgerEntry)
WHERE e.event_at IS NULL
OPTIONAL MATCH (r:Refund {id: e.refund_id})
OPTIONAL MATCH (o:Order {id: e.order_id})
OPTIONAL MATCH (m:Member {id: e.buyer_id})
SET e.event_at = coalesce(
  CASE WHEN e.refund_id IS NOT NULL THEN r.refunded_at
       WHEN e.order_id IS NOT NULL THEN o.placed_at
       ELSE m.paid_at END,
  e.created_at);
MATCH (e:LedgerEntry)
WHERE e.status = 'available' AND e.released_at IS NULL
SET e.released_at = e.created_at
