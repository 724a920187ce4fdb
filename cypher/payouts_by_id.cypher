// Batches with their items and events.
UNWIND $ids AS id
MATCH (p:Payout {id: id})
OPTIONAL MATCH (i:PayoutItem {payout_id: p.id})
WITH p, collect(properties(i)) AS items
OPTIONAL MATCH (ev:PayoutEvent {payout_id: p.id})
RETURN properties(p) AS payout, items, collect(properties(ev)) AS events
