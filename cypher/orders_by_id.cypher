UNWIND $ids AS id
MATCH (o:Order {id: id})
RETURN properties(o) AS order
