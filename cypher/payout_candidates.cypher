// The members a payout batch may pay: every released entry in $currency, released at or
// before $as_of, that no live payout item claims (reversals included, so a clawback nets
// in), per beneficiary, with what decides whether she is paid (status history, erasure,
// hold). Amounts come back one by one: the service sums them exactly.
MATCH (e:LedgerEntry {status: 'available'})
WHERE e.payout IS NULL AND e.currency = $currency AND e.released_at <= $as_of
WITH e.beneficiary_id AS member_id, collect([e.id, e.amount]) AS entries
MATCH (m:Member {id: member_id})
RETURN member_id, coalesce(m.status_times, []) AS status_times,
       coalesce(m.statuses, []) AS statuses, m.erased_at IS NOT NULL AS erased,
       m.hold_reason AS hold_reason, entries
