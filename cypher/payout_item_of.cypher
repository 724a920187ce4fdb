// One item of a batch, with the batch's status.
MATCH (p:Payout {id: $payout_id})
OPTIONAL MATCH (i:PayoutItem {id: $item_id})
RETURN p.status AS payout_status, properties(i) AS item
