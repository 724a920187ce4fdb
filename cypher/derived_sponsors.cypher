// A member's sponsors, now and before a move, whose tier history is derived again after each
// paid mark (`tier_floors`: it stepped down or followed a move once).
MATCH (:Member {id: $id})-[:INVITED_BY|WAS_INVITED_BY]->(s:Member)
WHERE s.tier_floors = true
RETURN DISTINCT s.id AS id
