// The downline growth board for a bounded period: every member who joined in [$from, $to)
// counts once for each member above her (a walk up her chain), with when the last of them
// joined; as cypher/leaderboard_inviters.cypher. All time reads counters instead
// (cypher/leaderboard_downline_total.cypher).
MATCH (m:Member)
WHERE m.joined_at >= $from AND m.joined_at < $to
MATCH (m)-[:INVITED_BY*1..]->(a)
WITH a.id AS member_id, count(*) AS value, max(m.joined_at) AS achieved
MATCH (b:Member {id: member_id})
WHERE $circle IS NULL OR (b)-[:MEMBER_OF]->(:Group {id: $circle})
RETURN b.id AS member_id, b.name AS name, b.tier AS tier, value, achieved
ORDER BY value DESC, achieved, member_id
LIMIT $limit
