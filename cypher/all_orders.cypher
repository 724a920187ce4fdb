// Every order, each buyer's in the order they were written (for `refgraph audit`).
MATCH (o:Order)
WITH o
ORDER BY o.buyer_id, o.seq
RETURN properties(o) AS order
