// Moves a batch from $from to $to (approve, the first export) with its event, under the
// batch's lock; no row when it is not at $from. A batch exported without items is settled.
MATCH (p:Payout {id: $payout_id})
SET p.lock_ = true
WITH p
REMOVE p.lock_
WITH p
WHERE p.status = $from
SET p.status = CASE WHEN $to = 'exported' AND p.open_items = 0 THEN 'settled' ELSE $to END,
    p.event_count = p.event_count + 1
CREATE (:PayoutEvent {
  payout_id: p.id, seq: p.event_count - 1, at: $now, action: $action,
  actor_role: $actor.role, actor_key_id: $actor.key_id
})
RETURN p.id AS id
