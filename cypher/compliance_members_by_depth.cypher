// Members per depth (0 = a root), the smallest id at each depth, and how many at each depth
// head a large subtree: at least $min_members members and $min_levels levels counting her
// (levels_total[k] counts the members k+1 levels below her). Counters only, no traversal.
MATCH (m:Member)
RETURN m.depth AS depth, count(*) AS members, min(m.id) AS example_id,
       count(CASE WHEN m.downline_total + 1 >= $min_members
                   AND m.levels_total[$min_levels - 2] > 0 THEN 1 END) AS large_subtrees
ORDER BY depth
