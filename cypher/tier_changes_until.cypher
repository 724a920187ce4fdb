// A member's tier changes at or before a moment, oldest first (none: she held the base
// tier). The highest tier among them is the one she held then.
MATCH (t:TierChange {member_id: $id})
WHERE t.at <= $as_of
RETURN t.member_id AS member_id, t.seq AS seq, t.tier AS tier, t.previous AS previous, t.at AS at,
       coalesce(t.floor, false) AS floor
ORDER BY t.at, t.seq
