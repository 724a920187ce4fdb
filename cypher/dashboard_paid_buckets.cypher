// Members who became paid in each bucket, as cypher/dashboard_joined_buckets.cypher.
MATCH (m:Member)
WHERE m.paid_at >= $from AND m.paid_at < $to
WITH size([b IN $bounds WHERE b <= m.paid_at]) - 1 AS bucket
RETURN bucket, count(*) AS value
