// Every member below $id who had joined by $as_of, with her inviter, name and paid time (the
// tree as it stood then, GET /v1/members/{id}/tree?as_of=, is built from these in Python).
MATCH (d:Member)-[:INVITED_BY*1..]->(:Member {id: $id})
WHERE d.joined_at <= $as_of
RETURN d.id AS id, d.inviter_id AS inviter_id, d.name AS name, d.paid_at AS paid_at
