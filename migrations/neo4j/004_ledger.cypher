// Orders, refunds, ledger entries and plan versions: unique ids, and the indexes the
// ledger's reads start from.
CREATE CONSTRAINT order_id_unique IF NOT EXISTS
FOR (o:Order) REQUIRE o.id IS UNIQUE;
CREATE CONSTRAINT refund_id_unique IF NOT EXISTS
FOR (r:Refund) REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT ledger_entry_id_unique IF NOT EXISTS
FOR (e:LedgerEntry) REQUIRE e.id IS UNIQUE;
CREATE CONSTRAINT plan_version_unique IF NOT EXISTS
FOR (p:Plan) REQUIRE p.version IS UNIQUE;
CREATE INDEX order_placed_at IF NOT EXISTS
FOR (o:Order) ON (o.placed_at);
CREATE INDEX order_buyer IF NOT EXISTS
FOR (o:Order) ON (o.buyer_id);
CREATE INDEX refund_order IF NOT EXISTS
FOR (r:Refund) ON (r.order_id);
CREATE INDEX ledger_entry_order IF NOT EXISTS
FOR (e:LedgerEntry) ON (e.order_id);
CREATE INDEX ledger_entry_beneficiary IF NOT EXISTS
FOR (e:LedgerEntry) ON (e.beneficiary_id);
CREATE INDEX ledger_entry_created_at IF NOT EXISTS
FOR (e:LedgerEntry) ON (e.created_at);
CREATE INDEX ledger_entry_status IF NOT EXISTS
FOR (e:LedgerEntry) ON (e.status)
