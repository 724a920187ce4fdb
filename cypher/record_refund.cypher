// Records a refund with its reversal entries and the points it takes back from the buyer
// ($points: none, or her take-back entry), in one atomic statement.
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
// Each reversal takes its original's status as it stands now, read under the original's
// lock (taken in id order, as the releaser takes them): the releaser may have released the
// original since the caller read it, and a reversal left held beside a released original
// would keep refunded money payable.
OPTIONAL MATCH (original:LedgerEntry {order_id: order.id})
WHERE original.reverses IS NULL
WITH order, buyer, seq, original
ORDER BY original.id
// FOREACH: an order without entries has one row with no original, and SET needs a node.
FOREACH (x IN CASE WHEN original IS NULL THEN [] ELSE [original] END | SET x.lock_ = true)
WITH order, buyer, seq, original, original.status AS status
FOREACH (x IN CASE WHEN original IS NULL THEN [] ELSE [original] END | REMOVE x.lock_)
WITH order, buyer, seq, collect([original.id, status]) AS statuses
CREATE (r:Refund {
  id: $refund.id, order_id: order.id, amount: $refund.amount,
  refunded_at: $refund.refunded_at, seq: seq + 1, created_at: $now
})
SET order.refunded = order.refunded + $refund.amount, buyer.purchase_seq = seq + 1
// An order refunded in full is no longer her first purchase: her earliest live one is.
FOREACH (x IN CASE WHEN order.refunded = order.amount AND buyer.first_purchase_order = order.id
                   THEN [buyer] ELSE [] END |
  SET x.first_purchase_order = $next_first)
FOREACH (e IN [x IN $entries |
               [x, coalesce(head([s IN statuses WHERE s[0] = x.reverses | s[1]]), x.status)]] |
  CREATE (:LedgerEntry {
    id: e[0].id, kind: e[0].kind, beneficiary_id: e[0].beneficiary_id, amount: e[0].amount,
    currency: e[0].currency, status: e[1], order_id: e[0].order_id, buyer_id: e[0].buyer_id,
    source_id: e[0].source_id, refund_id: e[0].refund_id, reverses: e[0].reverses,
    plan_version: e[0].plan_version, rule: e[0].rule, tier_at_event: e[0].tier_at_event,
    tier_seq: e[0].tier_seq, path_ids: e[0].path_ids, event_at: e[0].event_at,
    created_at: e[0].created_at, available_from: e[0].available_from,
    released_at: CASE
      WHEN e[0].reverses IS NULL THEN e[0].released_at
      WHEN e[1] = 'available' THEN $now
    END
  }))
FOREACH (p IN $points |
  CREATE (:PointsEntry {
    id: p.id, member_id: p.member_id, kind: p.kind, points: p.points,
    event_at: p.event_at, created_at: p.created_at, expires_at: p.expires_at,
    plan_version: p.plan_version, order_id: p.order_id, refund_id: p.refund_id,
    action: p.action, request_id: p.request_id, redemption_for: p.redemption_for,
    value: p.value, currency: p.currency, seq: p.seq
  }))
// The events of its entries (ledger.entry_created, and ledger.entry_released for each
// written available) enter the outbox with it.
FOREACH (e IN [x IN $entries
               WHERE coalesce(head([s IN statuses WHERE s[0] = x.reverses | s[1]]), x.status)
                 = 'available'] |
  CREATE (:OutboxEvent {
    id: 'evt_' + randomUUID(), type: 'ledger.entry_released', member_id: e.beneficiary_id,
    at: CASE WHEN e.reverses IS NULL THEN e.released_at ELSE $now END, rank: $entry_released_rank, entry_id: e.id, order_id: e.order_id,
    amount: e.amount, currency: e.currency, written_at: $written_at, state: 'new'
  }))
FOREACH (v IN $events |
  CREATE (:OutboxEvent {
    id: v.id, type: v.type, member_id: v.member_id, at: v.at, rank: v.rank,
    data_json: v.data_json, written_at: $written_at, state: 'new'
  }))
RETURN r.id AS id
