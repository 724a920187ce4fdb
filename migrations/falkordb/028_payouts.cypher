// Payouts: batches, items, lines and events by the ids they are read by, and the lock node
// batches are created under (its unique id, and the others', in the next migrations).
CREATE INDEX FOR (p:Payout) ON (p.id, p.created_at);
CREATE INDEX FOR (i:PayoutItem) ON (i.id, i.payout_id, i.member_id);
CREATE INDEX FOR (x:PayoutEntry) ON (x.id, x.member_id);
CREATE INDEX FOR (ev:PayoutEvent) ON (ev.payout_id);
CREATE INDEX FOR (l:Payouts) ON (l.id)
