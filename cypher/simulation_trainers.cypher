// Each source's inviter (who a training allowance would pay) and the paid times of every
// member she invited (her paid direct invites at any moment).
UNWIND $sources AS source_id
MATCH (source:Member {id: source_id})-[:INVITED_BY]->(trainer:Member)
OPTIONAL MATCH (trainer)<-[:INVITED_BY]-(invitee:Member)
WHERE invitee.paid_at IS NOT NULL
RETURN source_id, trainer.id AS trainer_id, collect(invitee.paid_at) AS paid_times
