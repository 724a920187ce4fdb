UNWIND $ids AS id
MATCH (r:Refund {id: id})
RETURN properties(r) AS refund
