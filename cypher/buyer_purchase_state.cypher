// A buyer's write sequence, her first live purchase, and her earliest order other than
// $except that is not refunded in full (the one her first purchase would move to).
// The sequence is read before the orders are scanned, so a refund committed during the scan
// leaves it stale and the write checking it refuses (see order_context.cypher).
MATCH (buyer:Member {id: $buyer_id})
WITH buyer, coalesce(buyer.purchase_seq, 0) AS seq, buyer.first_purchase_order AS first
OPTIONAL MATCH (o:Order {buyer_id: $buyer_id})
WHERE o.refunded < o.amount AND o.id <> $except
WITH seq, first, o
ORDER BY o.seq
LIMIT 1
RETURN seq, first AS first_purchase_order,
  properties(o) AS next_live
