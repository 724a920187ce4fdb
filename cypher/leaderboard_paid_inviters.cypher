// The paid inviters board: each inviter's direct invitees who became paid in [$from, $to)
// (the paid_at index), when the last of them did; as cypher/leaderboard_inviters.cypher.
MATCH (m:Member)
WHERE m.paid_at >= $from AND m.paid_at < $to AND m.inviter_id IS NOT NULL
WITH m.inviter_id AS member_id, count(*) AS value, max(m.paid_at) AS achieved
MATCH (b:Member {id: member_id})
WHERE $circle IS NULL OR (b)-[:MEMBER_OF]->(:Group {id: $circle})
RETURN b.id AS member_id, b.name AS name, b.tier AS tier, value, achieved
ORDER BY value DESC, achieved, member_id
LIMIT $limit
