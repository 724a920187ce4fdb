// Puts a member on payout hold ($hold_reason) or releases her (null), with its audit entry,
// in one statement, only if she is at the version the caller read (`rev`) and the change id
// is new; no row otherwise. Payout batches skip a member on hold with the reason; her
// entries keep accruing.
MATCH (m:Member {id: $member_id})
SET m.lock_ = true
WITH m
OPTIONAL MATCH (done:MemberChange {id: $change.change_id})
WITH m, done
REMOVE m.lock_
WITH m, done
WHERE done IS NULL AND coalesce(m.rev, 0) = $rev
SET m.hold_reason = $hold_reason, m.rev = $rev + 1
CREATE (:MemberChange {
  id: $change.change_id, member_id: m.id, kind: $change.kind, at: $change.at,
  actor_role: $change.actor.role, actor_key_id: $change.actor.key_id,
  reason: $change.reason, changed: $change.changed, fingerprint: $change.fingerprint
})
RETURN m.id AS id
