// Payouts: batches and lines by id (unique), items by id, batch and member, the lock node
// batches are created under, and the events of a batch.
CREATE CONSTRAINT payout_id_unique IF NOT EXISTS
FOR (p:Payout) REQUIRE p.id IS UNIQUE;
CREATE CONSTRAINT payout_item_id_unique IF NOT EXISTS
FOR (i:PayoutItem) REQUIRE i.id IS UNIQUE;
CREATE CONSTRAINT payout_entry_id_unique IF NOT EXISTS
FOR (x:PayoutEntry) REQUIRE x.id IS UNIQUE;
CREATE CONSTRAINT payouts_lock_id_unique IF NOT EXISTS
FOR (l:Payouts) REQUIRE l.id IS UNIQUE;
CREATE INDEX payout_created_at IF NOT EXISTS
FOR (p:Payout) ON (p.created_at);
CREATE INDEX payout_item_payout IF NOT EXISTS
FOR (i:PayoutItem) ON (i.payout_id);
CREATE INDEX payout_item_member IF NOT EXISTS
FOR (i:PayoutItem) ON (i.member_id);
CREATE INDEX payout_entry_member IF NOT EXISTS
FOR (x:PayoutEntry) ON (x.member_id);
CREATE INDEX payout_event_payout IF NOT EXISTS
FOR (ev:PayoutEvent) ON (ev.payout_id)
