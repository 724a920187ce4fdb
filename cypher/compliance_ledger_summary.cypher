// The ledger's entries whose $by time (event_at by default, or created_at) is in
// [$from, $to), netted per plan version, rule, currency, own consumption (the source of
// the sale is the buyer herself) and self-dealing (an entry pays the buyer on her own order
// outside the self-rebate rule): a few dozen rows whatever the ledger's size; the service
// classifies each rule from its plan version. Reversals net in; `originals` leaves them out.
// The amount is summed in two parts as in earnings_by_day (FalkorDB's sum() is a double).
MATCH (e:LedgerEntry)
WITH e, CASE $by WHEN 'created_at' THEN e.created_at ELSE e.event_at END AS at
WHERE at >= $from AND at < $to
WITH e.plan_version AS plan_version, e.rule AS rule, e.currency AS currency,
     e.source_id = e.buyer_id AS own_consumption,
     e.beneficiary_id = e.buyer_id AND e.kind <> 'self_rebate' AS self_dealing,
     e.amount AS amount, e.amount % $split AS low, size(e.path_ids) - 1 AS hop,
     e.reverses AS reverses
WITH plan_version, rule, currency, own_consumption, self_dealing,
     sum((amount - low) / $split) AS high, sum(low) AS low, count(*) AS entries,
     count(CASE WHEN reverses IS NULL THEN 1 END) AS originals, max(hop) AS deepest_hop
RETURN plan_version, rule, currency, own_consumption, self_dealing,
       toInteger(high) * $split + toInteger(low) AS amount, entries, originals, deepest_hop
