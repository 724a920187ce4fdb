// Members who joined in each bucket [$bounds[k], $bounds[k+1]) of [$from, $to) (the
// dashboard's months and weeks; bucket = how many bounds are at or before her join, less 1).
MATCH (m:Member)
WHERE m.joined_at >= $from AND m.joined_at < $to
WITH size([b IN $bounds WHERE b <= m.joined_at]) - 1 AS bucket
RETURN bucket, count(*) AS value
