// One level of a tree view: for each asked parent, her children after the page position
// (after_total, after_id) in tree order (downline_total descending, then id), at most take
// of them. The subquery sorts each parent's children on its own, so a wide parent
// costs a sort of her direct invitees, never a walk below them. One row per parent found.
// It collects the sorted nodes and reads the fields of only those kept, each child as a
// compact row [id, name, tier, paid, direct_total, downline_total] (app/store/tree_queries.py):
// a map per child, built for every child and sent with its keys, took a third of the
// widest member's tree.
UNWIND $asks AS ask
MATCH (parent:Member {id: ask.parent_id})
CALL (parent, ask) {
  MATCH (child:Member)-[:INVITED_BY]->(parent)
  WHERE child.downline_total < ask.after_total
     OR (child.downline_total = ask.after_total AND child.id > ask.after_id)
  WITH child
  ORDER BY child.downline_total DESC, child.id
  RETURN collect(child) AS children
}
// The take varies per parent and LIMIT cannot read a variable, so the sorted list is cut.
RETURN ask.parent_id AS parent_id, [c IN children[0..ask.take] |
  [c.id, c.name, c.tier, c.paid_at IS NOT NULL, c.levels_total[0], c.downline_total]
] AS children
