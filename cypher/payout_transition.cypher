// Moves a batch from $from to $to (approve, the first export) with its event, under the
// batch's lock; no row when it is not at $from.
MATCH (p:Payout {id: $payout_id})
SET p.lock_ = true
WITH p
REMOVE p.lock_
WITH p
WHERE p.status = $from
OPTIONAL MATCH (ev:PayoutEvent {payout_id: p.id})
WITH p, count(ev) AS seq
SET p.status = $to
CREATE (:PayoutEvent {
  payout_id: p.id, seq: seq, at: $now, action: $action,
  actor_role: $actor.role, actor_key_id: $actor.key_id
})
RETURN p.id AS id
