// The circle memberships of the members one page of `connector_member_page` read (internal
// ids in [$after, $until)), as two parallel columns of space-separated ids (member,
// circle; neither kind of id holds whitespace).
// The lower bound is named first: FalkorDB seeks an id range given by variables or
// parameters, and scans the whole label when a bound is an expression.
WITH coalesce($after, 0) AS lo
MATCH (m:Member)-[:MEMBER_OF]->(g:Group)
WHERE id(m) >= lo AND id(m) < $until
RETURN count(g) AS memberships, string.join(collect(m.id), ' ') AS member_ids,
  string.join(collect(g.id), ' ') AS circle_ids
