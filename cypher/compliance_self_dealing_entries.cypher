// The first $limit entries whose $by time (event_at or created_at) is in [$from, $to), in
// (that time, id) order, that pay a member on her own order outside the self-rebate rule;
// reversals are not payouts and are left out.
MATCH (e:LedgerEntry)
WHERE e.beneficiary_id = e.buyer_id AND e.kind <> 'self_rebate' AND e.reverses IS NULL
WITH e, CASE $by WHEN 'created_at' THEN e.created_at ELSE e.event_at END AS at
WHERE at >= $from AND at < $to
RETURN e.id AS id
ORDER BY at, e.id
LIMIT $limit
