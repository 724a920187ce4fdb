// Writes the referral bonus granted when an invitee became a paid member, unless it exists
// (its id is per invitee). Idempotent: the service calls it after every paid mark, and
// `refgraph verify` calls it for every paid member whose bonus is missing.
MATCH (invitee:Member {id: $entry.buyer_id})
WHERE invitee.paid_at IS NOT NULL
OPTIONAL MATCH (existing:LedgerEntry {id: $entry.id})
WITH invitee, existing
WHERE existing IS NULL
CREATE (e:LedgerEntry {
  id: $entry.id, kind: $entry.kind, beneficiary_id: $entry.beneficiary_id,
  amount: $entry.amount, currency: $entry.currency, status: $entry.status,
  buyer_id: $entry.buyer_id, source_id: $entry.source_id, plan_version: $entry.plan_version,
  rule: $entry.rule, tier_at_event: $entry.tier_at_event, tier_seq: $entry.tier_seq,
  path_ids: $entry.path_ids, event_at: $entry.event_at, created_at: $entry.created_at,
  available_from: $entry.available_from, released_at: $entry.released_at
})
// Its event (ledger.entry_created) enters the outbox with it.
FOREACH (v IN $events |
  CREATE (:OutboxEvent {
    id: v.id, type: v.type, member_id: v.member_id, at: v.at, rank: v.rank,
    data_json: v.data_json, written_at: $written_at, state: 'new'
  }))
RETURN e.id AS id
