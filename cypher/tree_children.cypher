// One level of a tree view: for each asked parent, her children after the page position
// (after_total, after_id) in tree order (downline_total descending, then id), at most take
// of them. The subquery sorts each parent's children on its own, so a wide parent
// costs a sort of her direct invitees, never a walk below them. One row per parent found.
UNWIND $asks AS ask
MATCH (parent:Member {id: ask.parent_id})
CALL (parent, ask) {
  MATCH (child:Member)-[:INVITED_BY]->(parent)
  WHERE child.downline_total < ask.after_total
     OR (child.downline_total = ask.after_total AND child.id > ask.after_id)
  WITH child
  ORDER BY child.downline_total DESC, child.id
  RETURN collect({
    id: child.id, name: child.name, tier: child.tier, paid: child.paid_at IS NOT NULL,
    direct_total: child.levels_total[0], downline_total: child.downline_total
  }) AS children
}
// The take varies per parent and LIMIT cannot read a variable, so the sorted list is cut.
RETURN ask.parent_id AS parent_id, children[0..ask.take] AS children
