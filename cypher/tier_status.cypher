// The storefront's hot read: a member's tier and the one counter behind it (an index seek,
// four scalars; no traversal).
MATCH (m:Member {id: $id})
RETURN m.tier AS tier, m.tier_since AS since, m.levels_paid[0] AS paid_direct_invites,
       m.joined_at AS joined_at
