// The last tier change of a member at or before a moment (none: she held the base tier).
MATCH (t:TierChange {member_id: $id})
WHERE t.at <= $as_of
RETURN t.member_id AS member_id, t.seq AS seq, t.tier AS tier, t.previous AS previous, t.at AS at
ORDER BY t.at DESC, t.seq DESC
LIMIT 1
