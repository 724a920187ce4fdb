// The members holding points entries that expire in ($now, $until]: those whose lots may
// expire soon (her balance, which consumes oldest first, says how many points really do).
MATCH (p:PointsEntry)
WHERE p.expires_at > $now AND p.expires_at <= $until
RETURN DISTINCT p.member_id AS member_id
ORDER BY member_id
