// One page of the projection a connector run reads, by internal node id range (a single
// result of a million rows would be held whole in memory): each member's node id, id,
// inviter, join time and paid direct invites.
MATCH (m:Member)
WHERE id(m) >= $from_node AND id(m) < $to_node
RETURN id(m) AS node, m.id AS id, m.inviter_id AS inviter_id, m.joined_at AS joined_at,
  coalesce(m.levels_paid[0], 0) AS paid_direct_invites
