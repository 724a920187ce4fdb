// The names a payout export prints: none for an erased member.
UNWIND $ids AS id
MATCH (m:Member {id: id})
RETURN m.id AS id, CASE WHEN m.erased_at IS NULL THEN m.name END AS name
