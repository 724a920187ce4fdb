// A page of a member's points entries by event time, after ($after_at, $after_id).
MATCH (p:PointsEntry {member_id: $member_id})
WHERE p.event_at > $after_at OR (p.event_at = $after_at AND p.id > $after_id)
RETURN properties(p) AS entry
ORDER BY p.event_at, p.id
LIMIT $limit
