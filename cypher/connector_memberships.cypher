// Every circle membership (member, circle) for a connector run.
MATCH (m:Member)-[:MEMBER_OF]->(g:Group)
RETURN m.id AS member_id, g.id AS circle_id
