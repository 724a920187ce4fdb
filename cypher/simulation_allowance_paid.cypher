// The training allowance the ledger granted for the orders (originals, before refunds).
UNWIND $order_ids AS order_id
MATCH (e:LedgerEntry {order_id: order_id})
WHERE e.kind = 'training_allowance' AND e.reverses IS NULL
RETURN e.amount AS amount
