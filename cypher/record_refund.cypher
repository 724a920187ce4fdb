// Records a refund and its reversal entries, in one atomic statement.
// The reversals were derived from the order's entries at its refunded total
// $expected_refunded (and, for a refund in full, from the buyer's state at $expected_seq);
// when either has moved, or the refund exists, nothing is written and no row comes back (as
// in record_order). The buyer's lock orders the refund among her orders.
// $entries also holds the referral bonus that moves to $next_first when this refund empties
// the buyer's first purchase.
// The buyer's id comes as a parameter: FalkorDB plans a lookup keyed on another node's
// property as a hash join over every member (GRAPH.EXPLAIN).
MATCH (order:Order {id: $order_id, buyer_id: $buyer_id})
MATCH (buyer:Member {id: $buyer_id})
SET buyer.lock_ = true
WITH order, buyer, coalesce(buyer.purchase_seq, 0) AS seq
REMOVE buyer.lock_
WITH order, buyer, seq
OPTIONAL MATCH (existing:Refund {id: $refund.id})
WITH order, buyer, seq, existing
WHERE existing IS NULL AND order.refunded = $expected_refunded
  AND ($expected_seq IS NULL OR seq = $expected_seq)
  AND order.refunded + $refund.amount <= order.amount
CREATE (r:Refund {
  id: $refund.id, order_id: order.id, amount: $refund.amount,
  refunded_at: $refund.refunded_at, seq: seq + 1, created_at: $now
})
SET order.refunded = order.refunded + $refund.amount, buyer.purchase_seq = seq + 1
// An order refunded in full is no longer her first purchase: her earliest live one is.
FOREACH (x IN CASE WHEN order.refunded = order.amount AND buyer.first_purchase_order = order.id
                   THEN [buyer] ELSE [] END |
  SET x.first_purchase_order = $next_first)
FOREACH (e IN $entries |
  CREATE (:LedgerEntry {
    id: e.id, kind: e.kind, beneficiary_id: e.beneficiary_id, amount: e.amount,
    currency: e.currency, status: e.status, order_id: e.order_id, buyer_id: e.buyer_id,
    source_id: e.source_id, refund_id: e.refund_id, reverses: e.reverses,
    plan_version: e.plan_version, rule: e.rule, tier_at_event: e.tier_at_event,
    path_ids: e.path_ids, created_at: e.created_at, available_from: e.available_from,
    released_at: e.released_at
  }))
RETURN r.id AS id
