// Benchmark baseline: every released, unclaimed entry in a currency, read bare.
MATCH (e:LedgerEntry {status: 'available'})
WHERE e.payout IS NULL AND e.currency = $currency AND e.released_at <= $as_of
RETURN e.beneficiary_id AS member_id, e.id AS id, e.amount AS amount
