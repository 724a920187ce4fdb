// Batches newest first (by creation time, then id), after the cursor's position.
MATCH (p:Payout)
WHERE p.created_at < $after_at OR (p.created_at = $after_at AND p.id < $after_id)
RETURN p.id AS id, p.created_at AS created_at
ORDER BY created_at DESC, id DESC
LIMIT $limit
