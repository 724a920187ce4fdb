// The all-time downline growth board: every member's maintained downline_total (no walk),
// in $circle when one is given; ties by id (no moment is kept for a counter).
MATCH (b:Member)
WHERE b.downline_total > 0 AND ($circle IS NULL OR (b)-[:MEMBER_OF]->(:Group {id: $circle}))
RETURN b.id AS member_id, b.name AS name, b.tier AS tier, b.downline_total AS value,
       null AS achieved
ORDER BY value DESC, member_id
LIMIT $limit
