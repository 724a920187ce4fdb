// The storefront's hot read, in one round trip: a member's honour tier and the one counter
// behind it; her purchases in ($from, $at] net of refunds, newest first and at most
// $max_purchases (the spend level at $at needs each purchase's own rolling year, so two
// years of them); and her super memberships, latest expiry first and at most
// $max_memberships; and, when the spend ladder counts points, her points entries of the same
// two years. Index seeks only (Member.id, Order.buyer_id, SuperMembership.member_id,
// PointsEntry.member_id), no traversal. There is one `m`, so LIMIT on the rows bounds her
// list. The hint keeps the planner off the Order.placed_at range index, which would scan
// every buyer's orders.
MATCH (m:Member {id: $id})
OPTIONAL MATCH (o:Order {buyer_id: $id})
USING INDEX o:Order(buyer_id)
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
