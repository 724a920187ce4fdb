// The currencies the sharers board's sales are in over [$from, $to) (the placed_at index):
// the orders cypher/leaderboard_sharers.cypher adds, in any currency, of sharers in $circle
// when one is given. The board adds one currency only, so the service asks for one when
// there are several.
MATCH (o:Order)
WHERE o.placed_at >= $from AND o.placed_at < $to
  AND o.shared_by <> o.buyer_id AND o.refunded < o.amount
WITH DISTINCT o.shared_by AS member_id, o.currency AS currency
MATCH (b:Member {id: member_id})
WHERE $circle IS NULL OR (b)-[:MEMBER_OF]->(:Group {id: $circle})
RETURN DISTINCT currency
