// Erases a member's personal data (a deletion request): her name and attributes, the name
// in her search key and her identity facts are removed and `erased_at` marks it; her id, place in the forest,
// counters and every ledger amount stay, so the ledger still adds up. One statement with its
// audit entry; no row when she is already erased or the change id is taken.
MATCH (m:Member {id: $member_id})
SET m.lock_ = true
WITH m
OPTIONAL MATCH (done:MemberChange {id: $change.change_id})
WITH m, done
REMOVE m.lock_
WITH m, done
WHERE done IS NULL AND m.erased_at IS NULL
SET m.name = null, m.attributes_json = null, m.erased_at = $change.at,
    m.rev = coalesce(m.rev, 0) + 1, m.identity_keys = null, m.identity_kinds = null,
    m.identity_values = null, m.identity_at = null, m.identity_written_at = null
WITH m
OPTIONAL MATCH (k:SearchKey {member_id: m.id})
FOREACH (key IN CASE WHEN k IS NULL THEN [] ELSE [k] END | SET key.name_key = null)
CREATE (:MemberChange {
  id: $change.change_id, member_id: m.id, kind: $change.kind, at: $change.at,
  actor_role: $change.actor.role, actor_key_id: $change.actor.key_id,
  reason: $change.reason, changed: $change.changed, fingerprint: $change.fingerprint
})
RETURN m.id AS id
