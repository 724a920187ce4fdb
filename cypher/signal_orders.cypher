// Every order as a signals run reads it: buyer, sharer, when, amount and refunded total.
MATCH (o:Order)
RETURN o.id AS id, o.buyer_id AS buyer_id, o.shared_by AS shared_by, o.placed_at AS placed_at,
       o.amount AS amount, coalesce(o.refunded, 0) AS refunded
