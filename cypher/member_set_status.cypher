// Sets a member's status with its audit entry, in one statement, only if she is at the
// version the caller read (`rev`) and the change id is new; no row otherwise. Her status
// history grows by one (when, what): rewards are decided by her status at each event.
MATCH (m:Member {id: $member_id})
SET m.lock_ = true
WITH m
OPTIONAL MATCH (done:MemberChange {id: $change.change_id})
WITH m, done
REMOVE m.lock_
WITH m, done
WHERE done IS NULL AND coalesce(m.rev, 0) = $rev
SET m.status_times = coalesce(m.status_times, []) + [$change.at],
    m.statuses = coalesce(m.statuses, []) + [$change.status],
    m.rev = $rev + 1
CREATE (:MemberChange {
  id: $change.change_id, member_id: m.id, kind: $change.kind, at: $change.at,
  actor_role: $change.actor.role, actor_key_id: $change.actor.key_id,
  reason: $change.reason, changed: $change.changed, fingerprint: $change.fingerprint,
  status: $change.status
})
RETURN m.id AS id
