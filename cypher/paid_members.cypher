// Every paid member with her inviter when she became paid, paid at or after a moment (the
// events a `paid` referral bonus can pay for; a later sponsor move does not move them).
MATCH (m:Member)-[r:INVITED_BY|WAS_INVITED_BY]->(inviter:Member)
WHERE m.paid_at >= $from AND coalesce(r.valid_from, 0) <= m.paid_at AND (r.valid_to IS NULL OR m.paid_at < r.valid_to)
RETURN m.id AS id, inviter.id AS inviter_id, m.paid_at AS paid_at
