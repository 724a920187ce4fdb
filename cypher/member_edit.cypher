// Writes a correction of a member's name and attributes with its audit entry, in one
// statement, only if the member is as the caller read her (`rev`), not erased, and the
// change id is new; no row otherwise (the caller reads again to tell which). Her search
// key's name follows her name.
MATCH (m:Member {id: $member_id})
// Her lock first (Neo4j): a concurrent edit then reads the rev this one wrote.
SET m.lock_ = true
WITH m
OPTIONAL MATCH (done:MemberChange {id: $change.change_id})
WITH m, done
REMOVE m.lock_
WITH m, done
WHERE done IS NULL AND coalesce(m.rev, 0) = $rev AND m.erased_at IS NULL
SET m.name = $name, m.attributes_json = $attributes_json, m.rev = $rev + 1
WITH m
OPTIONAL MATCH (k:SearchKey {member_id: m.id})
FOREACH (key IN CASE WHEN k IS NULL THEN [] ELSE [k] END | SET key.name_key = $name_key)
CREATE (:MemberChange {
  id: $change.change_id, member_id: m.id, kind: $change.kind, at: $change.at,
  actor_role: $change.actor.role, actor_key_id: $change.actor.key_id,
  reason: $change.reason, changed: $change.changed, fingerprint: $change.fingerprint
})
RETURN m.id AS id
