// Benchmark setup: released ledger entries written bare (the payout figures read and claim
// them; how they were earned is the ledger benchmark's business).
UNWIND $rows AS row
CREATE (:LedgerEntry {
  id: row.id, kind: row.kind, beneficiary_id: row.member_id, amount: row.amount,
  currency: 'CNY', status: 'available', order_id: null, buyer_id: row.member_id,
  source_id: row.member_id, plan_version: 'bench', rule: 0, tier_at_event: 'bee',
  path_ids: [row.member_id], event_at: row.at, created_at: row.at, available_from: row.at,
  released_at: row.at
})
