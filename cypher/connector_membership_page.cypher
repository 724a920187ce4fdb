// The circle memberships of one page of members (by internal node id range): the member's
// node id and the circle's id.
MATCH (m:Member)-[:MEMBER_OF]->(g:Group)
WHERE id(m) >= $from_node AND id(m) < $to_node
RETURN id(m) AS node, g.id AS circle_id
