// One page of the orders a signals run reads, as columns (one record, a list per column):
// up to `$page` orders whose ids follow `$after` (null: the first page) along the order id
// index, with buyer, sharer (null: none), when, amount and refunded total. `next` is where
// the following page starts, null after the last. `$ceiling` is FalkorDB's.
MATCH (o:Order)
WHERE o.id > coalesce($after, '')
WITH o
ORDER BY o.id
LIMIT $page
WITH collect(o) AS os
RETURN CASE WHEN size(os) < $page THEN null ELSE last(os).id END AS next, size(os) AS orders,
  [o IN os | o.id] AS ids, [o IN os | o.buyer_id] AS buyer_ids,
  [o IN os | o.shared_by] AS shared_by, [o IN os | o.placed_at] AS placed_at,
  [o IN os | o.amount] AS amounts, [o IN os | coalesce(o.refunded, 0)] AS refunded
