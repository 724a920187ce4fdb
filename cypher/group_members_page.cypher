// One page of a group's member ids in id order, after the cursor's id.
MATCH (m:Member)-[:MEMBER_OF]->(:Group {id: $group_id})
WHERE m.id > $after
RETURN m.id AS id
ORDER BY id
LIMIT $limit
