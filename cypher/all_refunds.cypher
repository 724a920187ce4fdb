// Every refund (for `refgraph audit`).
MATCH (r:Refund)
RETURN properties(r) AS refund
