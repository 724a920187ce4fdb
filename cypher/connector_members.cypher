// The projection a connector run reads: every member with her inviter, join time, paid
// direct invites and tier (one pass; a run is a background job).
MATCH (m:Member)
RETURN m.id AS id, m.inviter_id AS inviter_id, m.joined_at AS joined_at,
  m.levels_paid[0] AS paid_direct_invites, m.tier AS tier
