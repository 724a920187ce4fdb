// Records a one-time points grant unless its id (one per member and action) is stored, and
// returns the entry as stored: a retry, or a second grant of the same action, gets the first.
// The member's write lock orders it among her other points writes on Neo4j; FalkorDB runs
// this one at a time in-process (falkordb_store.py). No row: she is not a member.
MATCH (m:Member {id: $member_id})
SET m.lock_ = true
WITH m
REMOVE m.lock_
WITH m
OPTIONAL MATCH (existing:PointsEntry {id: $entry.id})
WITH m, existing IS NULL AS created
FOREACH (x IN CASE WHEN created THEN [1] ELSE [] END |
  CREATE (:PointsEntry {
    id: $entry.id, member_id: $entry.member_id, kind: $entry.kind, points: $entry.points,
    event_at: $entry.event_at, created_at: $entry.created_at, expires_at: $entry.expires_at,
    plan_version: $entry.plan_version, order_id: $entry.order_id, refund_id: $entry.refund_id,
    action: $entry.action, request_id: $entry.request_id, redemption_for: $entry.redemption_for,
    value: $entry.value, currency: $entry.currency, seq: $entry.seq
  }))
WITH created
MATCH (p:PointsEntry {id: $entry.id})
RETURN properties(p) AS entry, created
