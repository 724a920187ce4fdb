// Members who joined before the inviter their INVITED_BY edge leads to, for `verify`: the
// register statement refuses them, so only data written before it did, or behind its back,
// holds any. One pass over the edges in the engine; only the offending pairs come back.
// After a sponsor move the edge starts at the move, which the new inviter had joined by.
MATCH (m:Member)-[r:INVITED_BY]->(inviter:Member)
WHERE coalesce(r.valid_from, m.joined_at) < inviter.joined_at
RETURN m.id AS id, m.joined_at AS joined_at, inviter.id AS inviter_id,
       inviter.joined_at AS inviter_joined_at
ORDER BY id, inviter_id
