// The ids from a member's inviter up to the root of her tree, at most $limit of them.
// Each member has one inviter, so the walk is a single chain as long as her depth.
MATCH (m:Member {id: $id})
OPTIONAL MATCH chain = (m)-[:INVITED_BY*1..]->(root:Member)
WHERE NOT (root)-[:INVITED_BY]->()
RETURN CASE WHEN chain IS NULL THEN [] ELSE [n IN tail(nodes(chain)) | n.id][0..$limit] END AS path
