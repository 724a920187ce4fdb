// The FalkorDB dialect of cypher/tree_children.cypher (read that one for why): FalkorDB has
// no `CALL (x) {}`, so the subquery imports its variables with a leading WITH.
UNWIND $asks AS ask
MATCH (parent:Member {id: ask.parent_id})
CALL {
  WITH parent, ask
  MATCH (child:Member)-[:INVITED_BY]->(parent)
  WHERE child.downline_total < ask.after_total
     OR (child.downline_total = ask.after_total AND child.id > ask.after_id)
  WITH child
  ORDER BY child.downline_total DESC, child.id
  RETURN collect(child) AS children
}
RETURN ask.parent_id AS parent_id, [c IN children[0..ask.take] |
  [c.id, c.name, c.tier, c.paid_at IS NOT NULL, c.levels_total[0], c.downline_total]
] AS children
