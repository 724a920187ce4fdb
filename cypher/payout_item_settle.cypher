// Marks one open item of an exported batch paid or failed, with its event, in one statement
// under the batch's lock. Paid: her payout line (negative, kind payout) enters the ledger.
// Failed: the entries it claimed are free again, so the next batch pays them. The batch is
// settled once no item is open. No row when the batch is not exported or the item not open.
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
  }))
WITH p, i
UNWIND CASE WHEN $status = 'failed' THEN i.entry_ids ELSE [null] END AS entry_id
OPTIONAL MATCH (e:LedgerEntry {id: entry_id})
FOREACH (x IN CASE WHEN e IS NOT NULL AND e.payout = i.id THEN [e] ELSE [] END |
  REMOVE x.payout)
WITH DISTINCT p, i
OPTIONAL MATCH (other:PayoutItem {payout_id: p.id})
WITH p, i, sum(CASE WHEN other.status = 'open' THEN 1 ELSE 0 END) AS open
OPTIONAL MATCH (ev:PayoutEvent {payout_id: p.id})
WITH p, i, open, count(ev) AS seq
FOREACH (x IN CASE WHEN open = 0 THEN [p] ELSE [] END | SET x.status = 'settled')
CREATE (:PayoutEvent {
  payout_id: p.id, seq: seq, at: $now, action: $status, member_id: i.member_id,
  actor_role: $actor.role, actor_key_id: $actor.key_id
})
RETURN i.id AS id
