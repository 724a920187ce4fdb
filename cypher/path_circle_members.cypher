// The neighbours of circles in the connection search (GET /v1/paths): their members.
UNWIND $ids AS group_id
MATCH (g:Group {id: group_id})<-[:MEMBER_OF]-(m:Member)
RETURN g.id AS id, collect(m.id) AS members
