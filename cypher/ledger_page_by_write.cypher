// A page of the ledger in (created_at, id) order, after the cursor, filtered: entries by
// when they were written (`by=created_at`).
MATCH (e:LedgerEntry)
WHERE e.created_at >= $from AND e.created_at < $to
  AND (e.created_at > $after_at OR (e.created_at = $after_at AND e.id > $after_id))
  AND ($kind IS NULL OR e.kind = $kind)
  AND ($status IS NULL OR e.status = $status)
  AND ($beneficiary_id IS NULL OR e.beneficiary_id = $beneficiary_id)
  AND ($order_id IS NULL OR e.order_id = $order_id)
WITH e
ORDER BY e.created_at, e.id
LIMIT $limit
RETURN properties(e) AS entry
