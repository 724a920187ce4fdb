// The entries that belong to no order: bonuses paid when an invitee became a paid member.
MATCH (e:LedgerEntry)
WHERE e.order_id IS NULL
RETURN properties(e) AS entry
