// A member's groups in id order, bounded.
MATCH (:Member {id: $member_id})-[:MEMBER_OF]->(g:Group)
RETURN g.id AS id, g.kind AS kind, g.name AS name, g.members_total AS members_total
ORDER BY id
LIMIT $limit
