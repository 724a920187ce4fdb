// Every payout item, for the audit.
MATCH (i:PayoutItem)
RETURN i.id AS id, i.payout_id AS payout_id, i.member_id AS member_id, i.amount AS amount,
       i.currency AS currency, i.entry_ids AS entry_ids, i.status AS status
ORDER BY id
