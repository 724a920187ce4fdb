// The first $limit entries, in (created_at, id) order, that pay a member on her own order
// outside the self-rebate rule; reversals are not payouts and are left out.
MATCH (e:LedgerEntry)
WHERE e.beneficiary_id = e.buyer_id AND e.kind <> 'self_rebate' AND e.reverses IS NULL
RETURN e.id AS id
ORDER BY e.created_at, e.id
LIMIT $limit
