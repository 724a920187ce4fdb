// Adds members to groups: an edge per (group, member) pair not yet there, and each group's
// members_total grows by the edges this statement created, so a retry changes nothing.
// Pairs whose group or member does not exist are skipped. Callers send each pair at most
// once per batch: every row is matched before any edge is created.
UNWIND $pairs AS pair
MATCH (g:Group {id: pair.group_id})
MATCH (m:Member {id: pair.member_id})
// On Neo4j the group's write lock must be held before the edge is looked for, or two
// concurrent adds of one pair would both see none and both count her. FalkorDB reads before
// it locks, so FalkorDBStore orders a process's membership writes itself.
SET g.lock_ = true
WITH g, m
OPTIONAL MATCH (m)-[e:MEMBER_OF]->(g)
WITH g, m, e IS NULL AS absent
REMOVE g.lock_
WITH g, m WHERE absent
CREATE (m)-[:MEMBER_OF]->(g)
WITH g, collect(m.id) AS added
SET g.members_total = g.members_total + size(added)
RETURN g.id AS group_id, added
