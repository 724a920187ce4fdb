// Creates a payout batch in draft: the batch, one item per member claiming the exact entries
// it pays, and its first event, in one statement. Batches are created one at a time (the
// Payouts node's lock on Neo4j), and each entry is locked in id order (as the releaser and
// refunds lock them) and read again under the lock: when one is no longer available and
// unclaimed, or the id is taken, nothing is written and no row comes back.
MERGE (lock:Payouts {id: 'payouts'})
SET lock.lock_ = true
WITH lock
REMOVE lock.lock_
WITH lock
OPTIONAL MATCH (taken:Payout {id: $payout.id})
WITH taken
WHERE taken IS NULL
UNWIND CASE WHEN size($entry_ids) = 0 THEN [null] ELSE $entry_ids END AS entry_id
OPTIONAL MATCH (e:LedgerEntry {id: entry_id})
WITH e
ORDER BY e.id
FOREACH (x IN CASE WHEN e IS NULL THEN [] ELSE [e] END | SET x.lock_ = true)
WITH e
FOREACH (x IN CASE WHEN e IS NULL THEN [] ELSE [e] END | REMOVE x.lock_)
WITH collect(e) AS entries
WITH entries, [x IN entries WHERE x.status = 'available' AND x.payout IS NULL] AS free
WHERE size(free) = size($entry_ids)
CREATE (p:Payout {
  id: $payout.id, status: 'draft', as_of: $payout.as_of, currency: $payout.currency,
  minimum: $payout.minimum, total: $payout.total, created_at: $now,
  open_items: size($items), event_count: 1,
  skipped_ids: $payout.skipped_ids, skipped_available: $payout.skipped_available,
  skipped_reasons: $payout.skipped_reasons
})
FOREACH (item IN $items |
  CREATE (:PayoutItem {
    id: item.id, payout_id: $payout.id, member_id: item.member_id, amount: item.amount,
    currency: $payout.currency, entry_ids: item.entry_ids, status: 'open', created_at: $now
  }))
FOREACH (x IN entries | SET x.payout = $payout.id + '/' + x.beneficiary_id)
CREATE (:PayoutEvent {
  payout_id: $payout.id, seq: 0, at: $now, action: 'create',
  actor_role: $actor.role, actor_key_id: $actor.key_id
})
RETURN p.id AS id
