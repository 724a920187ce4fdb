// One audit entry by its change id (a retried change finds what the first attempt wrote).
MATCH (c:MemberChange {id: $change_id})
RETURN c.id AS change_id, c.member_id AS member_id, c.kind AS kind, c.at AS at,
       c.actor_role AS actor_role, c.actor_key_id AS actor_key_id, c.reason AS reason,
       c.changed AS changed, c.fingerprint AS fingerprint, c.status AS status,
       c.inviter_id AS inviter_id, c.previous_inviter_id AS previous_inviter_id,
       c.effective_at AS effective_at
