// The outbox's events not yet dispatched, written by $settled_before, in the order they are
// sent: by write time, then by rank (a cause before its effect in one millisecond), then id.
// Waiting until $settled_before lets a statement that wrote an earlier time but committed
// later come into view first, so a member's events are never dispatched out of order.
MATCH (e:OutboxEvent {state: 'new'})
WHERE e.written_at <= $settled_before
RETURN properties(e) AS event
ORDER BY e.written_at, e.rank, e.id
LIMIT $limit
