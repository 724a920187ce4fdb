// Every member who joined in [$from, $to) with the placed_at of her purchases (her orders not
// refunded in full) placed from her join up to $until: one row per member, the calendar
// arithmetic is the caller's. The rows are grouped by the member herself, not by her join
// time: members who joined in the same millisecond (imports with day-resolution dates) are
// each a row of their own. Member.joined_at is indexed; each member's orders are an index
// seek on Order.buyer_id.
MATCH (m:Member)
WHERE m.joined_at >= $from AND m.joined_at < $to
OPTIONAL MATCH (o:Order {buyer_id: m.id})
WHERE o.placed_at >= m.joined_at AND o.placed_at < $until AND o.refunded < o.amount
WITH m, collect(o.placed_at) AS purchases
RETURN m.joined_at AS joined_at, purchases
