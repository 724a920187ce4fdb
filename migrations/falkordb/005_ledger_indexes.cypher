// Orders, refunds, ledger entries and plan versions: the indexes the ledger's reads start
// from (and that the unique constraints after this one need).
CREATE INDEX FOR (o:Order) ON (o.id);
CREATE INDEX FOR (o:Order) ON (o.placed_at);
CREATE INDEX FOR (o:Order) ON (o.buyer_id);
CREATE INDEX FOR (r:Refund) ON (r.id);
CREATE INDEX FOR (r:Refund) ON (r.order_id);
CREATE INDEX FOR (e:LedgerEntry) ON (e.id);
CREATE INDEX FOR (e:LedgerEntry) ON (e.order_id);
CREATE INDEX FOR (e:LedgerEntry) ON (e.beneficiary_id);
CREATE INDEX FOR (e:LedgerEntry) ON (e.created_at);
CREATE INDEX FOR (e:LedgerEntry) ON (e.status);
CREATE INDEX FOR (p:Plan) ON (p.version)
