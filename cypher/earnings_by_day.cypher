// One member's ledger entries as beneficiary whose $by time (event_at: when what they pay
// for happened; created_at: when they were written) is in [$from, $to), netted per
// currency, kind, status and UTC day of that time (`day`: the day's first epoch ms; a day
// is 86400000 ms): a few rows a day however many entries she has; the service folds days
// into calendar months. Reversals net in. FalkorDB's sum() adds in a double, exact only
// below 2^53: summing each amount's high part and its low $split remainder apart keeps both
// sums exact, on both engines.
MATCH (e:LedgerEntry {beneficiary_id: $member_id})
WITH e, CASE $by WHEN 'created_at' THEN e.created_at ELSE e.event_at END AS at
WHERE at >= $from AND at < $to
WITH e.currency AS currency, e.kind AS kind, e.status AS status,
     at - at % 86400000 AS day, e.amount AS amount, e.amount % $split AS low
WITH currency, kind, status, day, sum((amount - low) / $split) AS high, sum(low) AS low,
     count(*) AS entries
RETURN currency, kind, status, day, toInteger(high) * $split + toInteger(low) AS amount,
       entries
