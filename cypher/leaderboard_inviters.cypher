// The inviters board (GET /v1/leaderboards/inviters): each inviter's direct invitees who
// joined in [$from, $to) (the joined_at index), when the last of them joined, and only
// inviters in $circle when one is given; best first, ties to the earlier, then by id.
MATCH (m:Member)
WHERE m.joined_at >= $from AND m.joined_at < $to AND m.inviter_id IS NOT NULL
WITH m.inviter_id AS member_id, count(*) AS value, max(m.joined_at) AS achieved
MATCH (b:Member {id: member_id})
WHERE $circle IS NULL OR (b)-[:MEMBER_OF]->(:Group {id: $circle})
RETURN b.id AS member_id, b.name AS name, b.tier AS tier, value, achieved
ORDER BY value DESC, achieved, member_id
LIMIT $limit
