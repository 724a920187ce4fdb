// A page of one beneficiary's entries in (time, id) order, the time being $by (event_at or
// created_at), after the cursor, filtered
// (ledger_page starting from the beneficiary index).
MATCH (e:LedgerEntry {beneficiary_id: $beneficiary_id})
WITH e, CASE $by WHEN 'created_at' THEN e.created_at ELSE e.event_at END AS at
WHERE at >= $from AND at < $to
  AND (at > $after_at OR (at = $after_at AND e.id > $after_id))
  AND ($kind IS NULL OR e.kind = $kind)
  AND ($status IS NULL OR e.status = $status)
  AND ($beneficiary_id IS NULL OR e.beneficiary_id = $beneficiary_id)
  AND ($order_id IS NULL OR e.order_id = $order_id)
WITH e, at
ORDER BY at, e.id
LIMIT $limit
RETURN properties(e) AS entry
