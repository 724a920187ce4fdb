// The new phoenixes board: members whose first crossing into the top tier ($top) is in
// [$from, $to) (a late paid mark can record an earlier crossing: the earliest counts), the
// earliest first, then by id. A floor that only restates the top tier (a history rewritten
// after a step down) is no crossing.
MATCH (t:TierChange)
WHERE t.tier = $top AND t.at < $to AND (t.floor IS NULL OR t.previous <> t.tier)
WITH t.member_id AS member_id, min(t.at) AS achieved
WHERE achieved >= $from
MATCH (b:Member {id: member_id})
WHERE $circle IS NULL OR (b)-[:MEMBER_OF]->(:Group {id: $circle})
RETURN b.id AS member_id, b.name AS name, b.tier AS tier, 1 AS value, achieved
ORDER BY achieved, member_id
LIMIT $limit
