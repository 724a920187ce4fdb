// The FalkorDB dialect of cypher/tier_status.cypher (read that one for why): FalkorDB takes
// no planner hints, and needs none here: its index scan on Order seeks buyer_id
// (GRAPH.PROFILE: one record produced for a buyer among 20,000 orders in the window).
MATCH (m:Member {id: $id})
OPTIONAL MATCH (o:Order {buyer_id: $id})
WHERE o.placed_at > $from AND o.placed_at <= $at AND o.currency = $currency
  AND o.amount > o.refunded
WITH m, o
ORDER BY o.placed_at DESC
LIMIT $max_purchases
// Without orders she still has one row, with o null: its pair is dropped.
WITH m, [p IN collect([o.placed_at, o.amount - o.refunded]) WHERE p[0] IS NOT NULL] AS purchases
OPTIONAL MATCH (s:SuperMembership {member_id: $id})
WITH m, purchases, s
ORDER BY s.expires_at DESC
LIMIT $max_memberships
WITH m, purchases, [t IN collect([s.starts_at, s.expires_at]) WHERE t[0] IS NOT NULL] AS terms
// Her points of the same two years, only when the spend ladder counts them ($with_points):
// earns, grants and take-backs, newest first, at most $max_purchases.
OPTIONAL MATCH (p:PointsEntry {member_id: $id})
WHERE $with_points AND p.event_at > $from AND p.event_at <= $at AND p.kind <> 'redemption'
WITH m, purchases, terms, p
ORDER BY p.event_at DESC
LIMIT $max_purchases
WITH m, purchases, terms, [x IN collect([p.event_at, p.points]) WHERE x[0] IS NOT NULL] AS points
RETURN m.tier AS tier, m.tier_since AS since, m.levels_paid[0] AS paid_direct_invites,
       m.joined_at AS joined_at, purchases, terms AS memberships, points
