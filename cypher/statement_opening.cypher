// What a member was owed before $from, per currency: her ledger entries and her payout lines
// whose event time is before it. Summed as a high part and a low $split remainder
// (FalkorDB's sum() is a double, exact only below 2^53).
MATCH (e:LedgerEntry {beneficiary_id: $member_id})
WHERE e.event_at < $from
WITH e.currency AS currency, e.amount AS amount, e.amount % $split AS low
WITH currency, sum((amount - low) / $split) AS high, sum(low) AS low
RETURN currency, toInteger(high) * $split + toInteger(low) AS amount
UNION ALL
MATCH (x:PayoutEntry {member_id: $member_id})
WHERE x.event_at < $from
WITH x.currency AS currency, x.amount AS amount, x.amount % $split AS low
WITH currency, sum((amount - low) / $split) AS high, sum(low) AS low
RETURN currency, toInteger(high) * $split + toInteger(low) AS amount
