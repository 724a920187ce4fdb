// Which of the (invitee, inviter) pairs are invitation edges of the graph.
UNWIND $pairs AS pair
MATCH (invitee:Member {id: pair[0]})-[:INVITED_BY]->(inviter:Member {id: pair[1]})
RETURN invitee.id AS invitee_id, inviter.id AS inviter_id, invitee.joined_at AS joined_at
