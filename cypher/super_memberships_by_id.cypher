// Super memberships by id (an index seek per id).
UNWIND $ids AS id
MATCH (s:SuperMembership {id: id})
RETURN s.id AS id, s.member_id AS member_id, s.starts_at AS starts_at,
       s.expires_at AS expires_at, s.amount AS amount, s.currency AS currency,
       s.created_at AS created_at
