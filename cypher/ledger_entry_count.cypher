MATCH (e:LedgerEntry)
RETURN count(e) AS entries
