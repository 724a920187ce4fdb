MATCH (e:LedgerEntry {id: $id})
RETURN e.amount AS amount
