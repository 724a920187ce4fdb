// Groups whose maintained members_total differs from a count of their members' MEMBER_OF
// edges, for `verify`. Aggregated in the engine and grouped by the group node itself, so
// two groups never merge whatever their properties hold; only the mismatches come back.
MATCH (g:Group)
OPTIONAL MATCH (:Member)-[e:MEMBER_OF]->(g)
WITH g, count(e) AS counted
WHERE g.members_total IS NULL OR g.members_total <> counted
RETURN g.id AS id, g.members_total AS stored, counted
ORDER BY id
