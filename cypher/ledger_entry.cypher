MATCH (e:LedgerEntry {id: $id})
RETURN properties(e) AS entry
