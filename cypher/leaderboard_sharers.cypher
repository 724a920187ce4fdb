// The sharers board (GET /v1/leaderboards/sharers): each sharer's net sales in $currency of
// the orders placed in [$from, $to) (the placed_at index) through her share link by someone
// else, each order's amount less what has been refunded of it (as
// cypher/analytics_net_sales.cypher counts net sales; an order refunded in full adds
// nothing), with when the last order adding to it was placed; only sharers in $circle when
// one is given; best first, ties to the earlier, then by id. Money summed as a high part and
// a low $split remainder (FalkorDB's sum() adds in a double), as analytics_net_sales does.
MATCH (o:Order)
WHERE o.placed_at >= $from AND o.placed_at < $to AND o.currency = $currency
  AND o.shared_by <> o.buyer_id AND o.refunded < o.amount
WITH o.shared_by AS member_id, o.placed_at AS placed_at, o.amount - o.refunded AS net
WITH member_id, placed_at, net, net % $split AS low
WITH member_id, sum((net - low) / $split) AS high, sum(low) AS low, max(placed_at) AS achieved
MATCH (b:Member {id: member_id})
WHERE $circle IS NULL OR (b)-[:MEMBER_OF]->(:Group {id: $circle})
WITH b, toInteger(high) * $split + toInteger(low) AS value, achieved
RETURN b.id AS member_id, b.name AS name, b.tier AS tier, value, achieved
ORDER BY value DESC, achieved, member_id
LIMIT $limit
