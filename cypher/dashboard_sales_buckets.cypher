// Net sales (amount less refunds) of the orders placed in each bucket, per currency, as
// cypher/dashboard_joined_buckets.cypher. Money summed as a high part and a low $split
// remainder (FalkorDB's sum() adds in a double), as analytics_net_sales does.
MATCH (o:Order)
WHERE o.placed_at >= $from AND o.placed_at < $to
WITH size([b IN $bounds WHERE b <= o.placed_at]) - 1 AS bucket, o.currency AS currency,
     o.amount - o.refunded AS net
WITH bucket, currency, net, net % $split AS low
WITH bucket, currency, sum((net - low) / $split) AS high, sum(low) AS low
RETURN bucket, currency, toInteger(high) * $split + toInteger(low) AS value
