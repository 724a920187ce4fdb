// Every ledger entry of the orders, reversals included.
UNWIND $order_ids AS order_id
MATCH (e:LedgerEntry {order_id: order_id})
RETURN properties(e) AS entry
