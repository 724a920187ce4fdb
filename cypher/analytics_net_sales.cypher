// Net sales (amount less refunds) per buyer and currency of the orders placed in
// [$from, $to), only where positive. FalkorDB's sum() adds in a double, exact only below
// 2^53: each net's high part and its low $split remainder are summed apart (as
// earnings_by_day does), exact on both engines.
MATCH (o:Order)
WHERE o.placed_at >= $from AND o.placed_at < $to AND o.refunded < o.amount
WITH o.buyer_id AS buyer_id, o.currency AS currency, o.amount - o.refunded AS net
WITH buyer_id, currency, net, net % $split AS low
WITH buyer_id, currency, sum((net - low) / $split) AS high, sum(low) AS low
RETURN buyer_id, currency, toInteger(high) * $split + toInteger(low) AS net
