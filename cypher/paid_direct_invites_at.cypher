// How many of a member's direct invitees were paid at a moment (audits of past tiers).
MATCH (c:Member)-[:INVITED_BY]->(:Member {id: $id})
WHERE c.paid_at IS NOT NULL AND c.paid_at <= $as_of
RETURN count(c) AS paid
