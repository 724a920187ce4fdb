// One member's ledger entries netted per currency and where they stand: `pending` (held),
// `available` (released, unclaimed) or the id of the payout item that claims them, which
// the caller turns into in_payout or paid. Amounts are summed as a high part and a low
// $split remainder (FalkorDB's sum() is a double, exact only below 2^53).
MATCH (e:LedgerEntry {beneficiary_id: $member_id})
WITH e.currency AS currency,
     CASE WHEN e.status = 'pending' THEN 'pending'
          WHEN e.payout IS NULL THEN 'available'
          ELSE e.payout END AS bucket,
     e.amount AS amount, e.amount % $split AS low
WITH currency, bucket, sum((amount - low) / $split) AS high, sum(low) AS low
RETURN currency, bucket, toInteger(high) * $split + toInteger(low) AS amount
