// The $limit largest subtrees among those with at least $min_members members and
// $min_levels levels counting their head (as compliance_members_by_depth counts them).
MATCH (m:Member)
WHERE m.downline_total + 1 >= $min_members AND m.levels_total[$min_levels - 2] > 0
RETURN m.id AS member_id, m.downline_total + 1 AS members, m.levels_total AS levels_total
ORDER BY members DESC, member_id
LIMIT $limit
