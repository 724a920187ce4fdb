// The first $limit entries whose $by time (event_at or created_at) is in [$from, $to), in
// (that time, id) order, whose path reaches more than $max_hop invitation edges from the
// member the rule paid for: what breaks the hard level cap.
MATCH (e:LedgerEntry)
WHERE size(e.path_ids) - 1 > $max_hop
WITH e, CASE $by WHEN 'created_at' THEN e.created_at ELSE e.event_at END AS at
WHERE at >= $from AND at < $to
RETURN e.id AS id
ORDER BY at, e.id
LIMIT $limit
