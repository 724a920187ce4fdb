// Writes the reversal of a paid-trigger referral bonus whose paid mark was undone, unless it
// exists (its id is per invitee). It takes its original's status as it stands now, read
// under the original's lock (the releaser may have released it since the caller read it):
// a reversal held beside a released original would keep undone money payable.
MATCH (original:LedgerEntry {id: $entry.reverses})
SET original.lock_ = true
WITH original, original.status AS status
REMOVE original.lock_
WITH original, status
OPTIONAL MATCH (existing:LedgerEntry {id: $entry.id})
WITH original, status, existing
WHERE existing IS NULL
CREATE (e:LedgerEntry {
  id: $entry.id, kind: $entry.kind, beneficiary_id: $entry.beneficiary_id,
  amount: $entry.amount, currency: $entry.currency, status: status,
  buyer_id: $entry.buyer_id, source_id: $entry.source_id, reverses: $entry.reverses,
  plan_version: $entry.plan_version, rule: $entry.rule, tier_at_event: $entry.tier_at_event,
  tier_seq: $entry.tier_seq, path_ids: $entry.path_ids, event_at: $entry.event_at,
  created_at: $entry.created_at, available_from: $entry.available_from,
  released_at: CASE WHEN status = 'available' THEN $now END
})
// Its events (ledger.entry_created, and ledger.entry_released when written available) enter
// the outbox with it.
FOREACH (x IN CASE WHEN status = 'available' THEN [e] ELSE [] END |
  CREATE (:OutboxEvent {
    id: 'evt_' + randomUUID(), type: 'ledger.entry_released', member_id: x.beneficiary_id,
    at: $now, rank: $entry_released_rank, entry_id: x.id, order_id: x.order_id,
    amount: x.amount, currency: x.currency, written_at: $written_at, state: 'new'
  }))
FOREACH (v IN $events |
  CREATE (:OutboxEvent {
    id: v.id, type: v.type, member_id: v.member_id, at: v.at, rank: v.rank,
    data_json: v.data_json, written_at: $written_at, state: 'new'
  }))
RETURN e.id AS id
