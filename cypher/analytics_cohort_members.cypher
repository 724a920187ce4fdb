// Every member who joined in [$from, $to) with the placed_at of her purchases (her orders not
// refunded in full) placed from her join up to $until: one row per member, the calendar
// arithmetic is the caller's. Member.joined_at has no index, so this scans the members once;
// each member's orders are an index seek on Order.buyer_id.
MATCH (m:Member)
WHERE m.joined_at >= $from AND m.joined_at < $to
OPTIONAL MATCH (o:Order {buyer_id: m.id})
WHERE o.placed_at >= m.joined_at AND o.placed_at < $until AND o.refunded < o.amount
RETURN m.joined_at AS joined_at, collect(o.placed_at) AS purchases
