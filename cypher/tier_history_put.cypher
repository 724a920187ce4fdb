// Appends corrections (floors) to a member's tier history, each with its member.tier_changed
// event, and sets her tier from it, only if
// her history is still at the version the caller read ($seq): a paid mark or a move that
// landed meanwhile makes the caller read again. No row otherwise. From now on her history
// is not rising only, so paid marks of her invitees leave it to this statement
// (`tier_floors`, cypher/mark_paid.cypher).
MATCH (x:Member {id: $id})
SET x.lock_ = true
WITH x, coalesce(x.tier_seq, 0) = $seq AS current
REMOVE x.lock_
WITH x, current
WHERE current
FOREACH (c IN $changes |
  CREATE (:TierChange {
    member_id: x.id, seq: c.seq, tier: c.tier, previous: c.previous, at: c.at, floor: true
  })
  CREATE (:OutboxEvent {
    id: 'evt_' + randomUUID(), type: 'member.tier_changed', member_id: x.id, at: c.at,
    rank: $tier_changed_rank, tier: c.tier, previous: c.previous, written_at: $written_at,
    state: 'new'
  }))
SET x.tier = $tier, x.tier_since = $since, x.tier_seq = $seq + size($changes),
    x.tier_floors = true
RETURN x.id AS id
