// Every tier change of a member, oldest first.
MATCH (t:TierChange {member_id: $id})
RETURN t.member_id AS member_id, t.seq AS seq, t.tier AS tier, t.previous AS previous, t.at AS at,
       coalesce(t.floor, false) AS floor
ORDER BY t.seq
