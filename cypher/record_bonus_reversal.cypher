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
RETURN e.id AS id
