// Every paid member with an inviter, paid at or after a moment (the events a `paid`
// referral bonus can pay for).
MATCH (m:Member)-[:INVITED_BY]->(inviter:Member)
WHERE m.paid_at >= $from
RETURN m.id AS id, inviter.id AS inviter_id, m.paid_at AS paid_at
