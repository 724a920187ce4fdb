// Undoes a member's paid mark from $undone_at on, in one statement with its audit entry: her
// paid counters leave every ancestor, and her paid time joins her undone ones (paid_since,
// paid_until), so the network as of any earlier moment still shows her paid. Only if she is
// paid, at the version the caller read ($rev), and the change id is new; no row otherwise.
// Her inviter's tier history now steps down: the service derives it again
// (app/services/tier_histories.py), and so after every later paid mark.
MATCH (m:Member {id: $member_id})
SET m.lock_ = true
WITH m
OPTIONAL MATCH (done:MemberChange {id: $change.change_id})
WITH m, done
REMOVE m.lock_
WITH m, done
WHERE done IS NULL AND coalesce(m.rev, 0) = $rev AND m.paid_at IS NOT NULL
WITH m, m.paid_at AS paid_at
// An ancestor `up` levels above her held her at level up - 1 (only the tracked levels kept).
OPTIONAL MATCH (m)-[:INVITED_BY*1..]->(a:Member)
WITH m, paid_at, a, m.depth - a.depth AS up
FOREACH (x IN CASE WHEN a IS NULL THEN [] ELSE [a] END |
  SET x.downline_paid = x.downline_paid - 1,
      x.levels_paid = [k IN range(0, size(x.levels_paid) - 1) |
        x.levels_paid[k] - CASE WHEN k = up - 1 THEN 1 ELSE 0 END])
WITH m, paid_at, count(*) AS ignored
OPTIONAL MATCH (m)-[:INVITED_BY]->(inviter:Member)
FOREACH (x IN CASE WHEN inviter IS NULL THEN [] ELSE [inviter] END | SET x.tier_floors = true)
SET m.paid_since = coalesce(m.paid_since, []) + [paid_at],
    m.paid_until = coalesce(m.paid_until, []) + [$undone_at],
    m.rev = $rev + 1
REMOVE m.paid_at
CREATE (:MemberChange {
  id: $change.change_id, member_id: m.id, kind: $change.kind, at: $change.at,
  actor_role: $change.actor.role, actor_key_id: $change.actor.key_id,
  reason: $change.reason, changed: $change.changed, fingerprint: $change.fingerprint
})
RETURN m.id AS id
