// Every payout line in the ledger, for the audit.
MATCH (x:PayoutEntry)
RETURN x.id AS id, x.payout_id + '/' + x.member_id AS payout_item, x.member_id AS member_id,
       x.amount AS amount, x.currency AS currency
