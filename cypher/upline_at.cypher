// The ids from a member's inviter at $as_of up to the root of her tree then, at most $limit
// of them: the invitation edges valid at $as_of (a sponsor move ends one edge and starts
// another). The chain that ends where no edge was valid then is the whole upline.
MATCH (m:Member {id: $id})
OPTIONAL MATCH chain = (m)-[:INVITED_BY|WAS_INVITED_BY*1..]->(root:Member)
WHERE all(r IN relationships(chain) WHERE coalesce(r.valid_from, 0) <= $as_of AND (r.valid_to IS NULL OR $as_of < r.valid_to))
OPTIONAL MATCH (root)-[up:INVITED_BY|WAS_INVITED_BY]->(:Member)
WHERE coalesce(up.valid_from, 0) <= $as_of AND (up.valid_to IS NULL OR $as_of < up.valid_to)
WITH chain, count(up) AS above
WHERE above = 0
RETURN CASE WHEN chain IS NULL THEN [] ELSE [n IN tail(nodes(chain)) | n.id][0..$limit] END AS path
