// A member's audit trail, oldest first.
MATCH (c:MemberChange {member_id: $member_id})
RETURN c.id AS change_id, c.member_id AS member_id, c.kind AS kind, c.at AS at,
       c.actor_role AS actor_role, c.actor_key_id AS actor_key_id, c.reason AS reason,
       c.changed AS changed, c.fingerprint AS fingerprint, c.status AS status
ORDER BY at, change_id
