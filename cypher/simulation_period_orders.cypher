// The orders placed in a period, each with its source (the sharer, else the buyer).
MATCH (o:Order)
WHERE o.placed_at >= $from AND o.placed_at < $to
RETURN o.id AS id, o.amount AS amount, o.placed_at AS placed_at,
  coalesce(o.shared_by, o.buyer_id) AS source_id
