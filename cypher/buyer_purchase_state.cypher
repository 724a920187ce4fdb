// A buyer's write sequence, her first live purchase, and her earliest order other than
// $except that is not refunded in full (the one her first purchase would move to).
MATCH (buyer:Member {id: $buyer_id})
OPTIONAL MATCH (o:Order {buyer_id: $buyer_id})
WHERE o.refunded < o.amount AND o.id <> $except
WITH buyer, o
ORDER BY o.seq
LIMIT 1
RETURN coalesce(buyer.purchase_seq, 0) AS seq, buyer.first_purchase_order AS first_purchase_order,
  properties(o) AS next_live
