// Dispatches events: each still new is marked dispatched and gets one pending Delivery per
// endpoint it goes to ($events: id, body, deliveries), in one statement. The event is
// locked and read again first, so two dispatchers at once cannot both deliver it.
UNWIND $events AS ev
MATCH (e:OutboxEvent {id: ev.id})
SET e.lock_ = true
WITH e, ev
REMOVE e.lock_
WITH e, ev
WHERE e.state = 'new'
SET e.state = 'dispatched', e.dispatched_at = $now
WITH e, ev
UNWIND ev.deliveries AS d
CREATE (:Delivery {
  id: d.id, event_id: e.id, webhook_id: d.webhook_id, type: e.type, member_id: e.member_id,
  written_at: e.written_at, rank: e.rank, body: ev.body, state: 'pending', attempts: 0,
  next_attempt_at: $now, retry_from: $now
})
RETURN count(*) AS deliveries
