// Removes a member from a group; members_total shrinks only when this statement deleted the
// edge, so a retry (or removing a non-member) changes nothing. No row: no such group.
MATCH (g:Group {id: $group_id})
// The group's lock first, as in group_add_members: two concurrent removals count once.
SET g.lock_ = true
WITH g
OPTIONAL MATCH (:Member {id: $member_id})-[e:MEMBER_OF]->(g)
WITH g, collect(e) AS edges
REMOVE g.lock_
FOREACH (edge IN edges | DELETE edge)
SET g.members_total = g.members_total - size(edges)
RETURN size(edges) AS removed
