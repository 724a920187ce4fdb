// Records a redemption, only if the member's redemptions are still the $expected_seq her
// balance was checked at and its id is new: two redemptions racing cannot both spend the same
// points (the loser re-reads her balance and checks again). On Neo4j her write lock is taken
// before her sequence is read; FalkorDB runs this one at a time in-process
// (falkordb_store.py). No row: nothing written.
MATCH (m:Member {id: $member_id})
SET m.lock_ = true
WITH m, coalesce(m.points_seq, 0) AS seq
REMOVE m.lock_
WITH m, seq
OPTIONAL MATCH (existing:PointsEntry {id: $entry.id})
WITH m, seq, existing
WHERE existing IS NULL AND seq = $expected_seq
CREATE (p:PointsEntry {
  id: $entry.id, member_id: $entry.member_id, kind: $entry.kind, points: $entry.points,
  event_at: $entry.event_at, created_at: $entry.created_at, expires_at: $entry.expires_at,
  plan_version: $entry.plan_version, order_id: $entry.order_id, refund_id: $entry.refund_id,
  action: $entry.action, request_id: $entry.request_id, redemption_for: $entry.redemption_for,
  value: $entry.value, currency: $entry.currency, seq: $entry.seq
})
SET m.points_seq = seq + 1
RETURN p.id AS id
