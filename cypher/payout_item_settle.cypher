// Marks one open item of an exported batch paid or failed, with its event, in one statement
// under the batch's lock. Paid: her payout line (negative, kind payout) enters the ledger and
// her payout.item_paid event the outbox.
// Failed: the entries it claimed are free again, so the next batch pays them. The batch is
// settled once no item is open (the count of open items it keeps reaches 0). No row when
// the batch is not exported or the item not open.
MATCH (p:Payout {id: $payout_id})
SET p.lock_ = true
WITH p
REMOVE p.lock_
WITH p
WHERE p.status = 'exported'
MATCH (i:PayoutItem {id: $item_id})
WHERE i.status = 'open'
SET i.status = $status, i.reference = $reference, i.reason = $reason, i.settled_at = $at
FOREACH (x IN CASE WHEN $status = 'paid' THEN [i] ELSE [] END |
  CREATE (:PayoutEntry {
    id: $line_id, kind: 'payout', member_id: x.member_id, payout_id: $payout_id,
    amount: -x.amount, currency: x.currency, reference: $reference, event_at: $at,
    created_at: $now
  })
  CREATE (:OutboxEvent {
    id: 'evt_' + randomUUID(), type: 'payout.item_paid', member_id: x.member_id, at: $at,
    rank: $item_paid_rank, payout_id: $payout_id, amount: x.amount, currency: x.currency,
    reference: $reference, written_at: $written_at, state: 'new'
  }))
WITH p, i
UNWIND CASE WHEN $status = 'failed' THEN i.entry_ids ELSE [null] END AS entry_id
OPTIONAL MATCH (e:LedgerEntry {id: entry_id})
FOREACH (x IN CASE WHEN e IS NOT NULL AND e.payout = i.id THEN [e] ELSE [] END |
  REMOVE x.payout)
WITH DISTINCT p, i
SET p.open_items = p.open_items - 1, p.event_count = p.event_count + 1
FOREACH (x IN CASE WHEN p.open_items = 0 THEN [p] ELSE [] END | SET x.status = 'settled')
CREATE (:PayoutEvent {
  payout_id: p.id, seq: p.event_count - 1, at: $now, action: $status, member_id: i.member_id,
  actor_role: $actor.role, actor_key_id: $actor.key_id
})
RETURN i.id AS id
