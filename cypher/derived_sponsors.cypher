// The sponsors, now and before a move, of each given member whose tier history is derived
// again after each paid mark (`tier_floors`: it stepped down or followed a move once).
UNWIND $ids AS member_id
MATCH (:Member {id: member_id})-[:INVITED_BY|WAS_INVITED_BY]->(s:Member)
WHERE s.tier_floors = true
RETURN DISTINCT s.id AS id
