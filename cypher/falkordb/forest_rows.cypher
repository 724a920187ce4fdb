// One page of members by internal node id (FalkorDB seeks id ranges; a single result of
// millions of rows would be held in memory whole).
MATCH (m:Member)
WHERE id(m) >= $from_node AND id(m) < $to_node
OPTIONAL MATCH (m)-[:INVITED_BY]->(i:Member)
RETURN m.id AS id, m.inviter_id AS inviter_id, m.paid_at AS paid_at, m.depth AS depth,
       m.tier AS tier, m.downline_total AS downline_total, m.downline_paid AS downline_paid,
       m.levels_total AS levels_total, m.levels_paid AS levels_paid,
       collect(i.id) AS edge_targets
