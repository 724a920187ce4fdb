// The neighbours of members in the connection search (GET /v1/paths): her inviter and her
// invitees (an invitation either way), and her circles.
UNWIND $ids AS member_id
MATCH (m:Member {id: member_id})
OPTIONAL MATCH (m)-[:INVITED_BY]-(n:Member)
WITH m, collect(n.id) AS members
OPTIONAL MATCH (m)-[:MEMBER_OF]->(g:Group)
RETURN m.id AS id, members, collect(g.id) AS circles
