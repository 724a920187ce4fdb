// Records an order with the ledger entries it grants, the points it earns its buyer
// ($points: none, or her earn entry) and the outbox events of its entries ($events), in one
// atomic statement.
// The entries were derived from the buyer's state at $expected_seq and the plan in force at
// placed_at; when either has moved since (a concurrent order or refund of the same buyer, a
// plan loaded meanwhile), or the order exists, nothing is written and no row comes back:
// the caller re-reads and tries again, or answers with the stored order.
MATCH (buyer:Member {id: $buyer_id})
// On Neo4j the buyer's write lock is taken before her state is read, so her orders and
// refunds are written one at a time; FalkorDB runs writes one at a time anyway.
SET buyer.lock_ = true
WITH buyer, coalesce(buyer.purchase_seq, 0) AS seq
REMOVE buyer.lock_
WITH buyer, seq
OPTIONAL MATCH (existing:Order {id: $order.id})
WITH buyer, seq, existing
WHERE existing IS NULL AND seq = $expected_seq
OPTIONAL MATCH (plan:Plan)
WHERE plan.effective_from <= $order.placed_at
WITH buyer, seq, plan
ORDER BY plan.effective_from DESC
LIMIT 1
WITH buyer, seq, plan
WHERE coalesce(plan.version, '') = coalesce($order.plan_version, '')
CREATE (o:Order {
  id: $order.id, buyer_id: $order.buyer_id, amount: $order.amount, currency: $order.currency,
  placed_at: $order.placed_at, shared_by: $order.shared_by, plan_version: $order.plan_version,
  seq: seq + 1, created_at: $now, refunded: 0,
  // The version of each tier history it was priced with (two lists: Neo4j keeps no maps).
  tier_members: $tier_members, tier_seqs: $tier_seqs
})
SET buyer.purchase_seq = seq + 1,
    buyer.first_purchase_order = coalesce(buyer.first_purchase_order, $order.id)
FOREACH (e IN $entries |
  CREATE (:LedgerEntry {
    id: e.id, kind: e.kind, beneficiary_id: e.beneficiary_id, amount: e.amount,
    currency: e.currency, status: e.status, order_id: e.order_id, buyer_id: e.buyer_id,
    source_id: e.source_id, plan_version: e.plan_version, rule: e.rule,
    tier_at_event: e.tier_at_event, tier_seq: e.tier_seq, path_ids: e.path_ids,
    event_at: e.event_at, created_at: e.created_at, available_from: e.available_from,
    released_at: e.released_at
  }))
FOREACH (p IN $points |
  CREATE (:PointsEntry {
    id: p.id, member_id: p.member_id, kind: p.kind, points: p.points,
    event_at: p.event_at, created_at: p.created_at, expires_at: p.expires_at,
    plan_version: p.plan_version, order_id: p.order_id, refund_id: p.refund_id,
    action: p.action, request_id: p.request_id, redemption_for: p.redemption_for,
    value: p.value, currency: p.currency, seq: p.seq
  }))
// Its events (ledger.entry_created, one per entry) enter the outbox with it.
FOREACH (v IN $events |
  CREATE (:OutboxEvent {
    id: v.id, type: v.type, member_id: v.member_id, at: v.at, rank: v.rank,
    data_json: v.data_json, written_at: $written_at, state: 'new'
  }))
RETURN o.id AS id
