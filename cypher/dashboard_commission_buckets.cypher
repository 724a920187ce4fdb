// Commissions (every ledger entry, reversals netted in) by the bucket of their event time,
// per currency, as cypher/dashboard_sales_buckets.cypher.
MATCH (e:LedgerEntry)
WHERE e.event_at >= $from AND e.event_at < $to
WITH size([b IN $bounds WHERE b <= e.event_at]) - 1 AS bucket, e.currency AS currency,
     e.amount AS amount
WITH bucket, currency, amount, amount % $split AS low
WITH bucket, currency, sum((amount - low) / $split) AS high, sum(low) AS low
RETURN bucket, currency, toInteger(high) * $split + toInteger(low) AS value
