// Where a batch stands.
MATCH (p:Payout {id: $payout_id})
RETURN p.status AS status
