// A page of the ledger in (event_at, id) order, after the cursor, filtered: entries by
// when what they pay for happened (the default; a history posted late lands in its month).
MATCH (e:LedgerEntry)
WHERE e.event_at >= $from AND e.event_at < $to
  AND (e.event_at > $after_at OR (e.event_at = $after_at AND e.id > $after_id))
  AND ($kind IS NULL OR e.kind = $kind)
  AND ($status IS NULL OR e.status = $status)
  AND ($beneficiary_id IS NULL OR e.beneficiary_id = $beneficiary_id)
  AND ($order_id IS NULL OR e.order_id = $order_id)
WITH e
ORDER BY e.event_at, e.id
LIMIT $limit
RETURN properties(e) AS entry
