// A member's ledger entries and payout lines whose event time is in [$from, $to), at most
// $limit of each (the caller asks for one more than it answers).
MATCH (e:LedgerEntry {beneficiary_id: $member_id})
WHERE e.event_at >= $from AND e.event_at < $to
WITH e
ORDER BY e.event_at, e.id
LIMIT $limit
RETURN e.id AS id, e.kind AS kind, e.amount AS amount, e.currency AS currency,
       e.event_at AS event_at, e.status AS status, e.order_id AS order_id,
       e.refund_id AS refund_id, e.reverses AS reverses, e.plan_version AS plan_version,
       e.rule AS rule, e.payout AS payout_item, null AS reference
UNION ALL
MATCH (x:PayoutEntry {member_id: $member_id})
WHERE x.event_at >= $from AND x.event_at < $to
WITH x
ORDER BY x.event_at, x.id
LIMIT $limit
RETURN x.id AS id, x.kind AS kind, x.amount AS amount, x.currency AS currency,
       x.event_at AS event_at, 'paid' AS status, null AS order_id, null AS refund_id,
       null AS reverses, null AS plan_version, null AS rule,
       x.payout_id + '/' + x.member_id AS payout_item, x.reference AS reference
