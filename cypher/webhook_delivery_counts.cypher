// An endpoint's deliveries counted by state.
MATCH (d:Delivery {webhook_id: $id})
RETURN d.state AS state, count(*) AS deliveries
