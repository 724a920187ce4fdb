// Every ledger entry a payout item claims, with what the audit checks it against.
MATCH (e:LedgerEntry)
WHERE e.payout IS NOT NULL
RETURN e.id AS id, e.payout AS payout_item, e.beneficiary_id AS member_id,
       e.amount AS amount, e.currency AS currency, e.status AS status
