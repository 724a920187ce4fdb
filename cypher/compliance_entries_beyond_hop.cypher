// The first $limit entries, in (created_at, id) order, whose path reaches more than $max_hop
// invitation edges from the member the rule paid for: what breaks the hard level cap.
MATCH (e:LedgerEntry)
WHERE size(e.path_ids) - 1 > $max_hop
RETURN e.id AS id
ORDER BY e.created_at, e.id
LIMIT $limit
