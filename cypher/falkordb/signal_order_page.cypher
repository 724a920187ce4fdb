// One page of the orders a signals run reads, as columns: id, buyer, sharer ('' for none),
// when, amount and refunded total. Pages are internal id ranges [$after (null: 0),
// $after + $page) below `$ceiling`; `next` starts the following page, null after the last.
// Each column is one string of space-separated values (ids hold no whitespace).
// The bounds are named first: FalkorDB seeks an id range given by variables or parameters,
// and scans the whole label when a bound is an expression.
WITH coalesce($after, 0) AS lo, coalesce($after, 0) + $page AS hi
MATCH (o:Order)
WHERE id(o) >= lo AND id(o) < hi
WITH collect(o) AS os
RETURN
  CASE
    WHEN coalesce($after, 0) + $page >= $ceiling THEN null
    ELSE coalesce($after, 0) + $page
  END AS next,
  size(os) AS orders,
  string.join([o IN os | o.id], ' ') AS ids,
  string.join([o IN os | o.buyer_id], ' ') AS buyer_ids,
  string.join([o IN os | coalesce(o.shared_by, '')], ' ') AS shared_by,
  string.join([o IN os | toString(o.placed_at)], ' ') AS placed_at,
  string.join([o IN os | toString(o.amount)], ' ') AS amounts,
  string.join([o IN os | toString(coalesce(o.refunded, 0))], ' ') AS refunded
