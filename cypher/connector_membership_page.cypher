// The circle memberships of the members one page of `connector_member_page` read (ids in
// ($after, $until]), as two parallel columns: member id, circle id.
MATCH (m:Member)-[:MEMBER_OF]->(g:Group)
WHERE m.id > coalesce($after, '') AND m.id <= $until
RETURN count(g) AS memberships, collect(m.id) AS member_ids, collect(g.id) AS circle_ids
