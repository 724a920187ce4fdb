// What the graph says about each order at its placed_at: the chain from its source up the
// invitation edges valid then (a sponsor move ends one edge and starts another) to the hard
// level cap (3), the buyer's inviter then, the tier history of each of them up to that
// moment, and the buyer's purchase state. An order whose buyer or source is not a member
// has no row.
// Every version (her purchase_seq, each tier_seq) is read before the scans it guards: Neo4j
// reads committed data, so a version read after its scan could be one that a write committed
// meanwhile set, vouching for a scan that missed that write.
UNWIND $orders AS o
MATCH (buyer:Member {id: o.buyer_id})
WITH o, buyer, coalesce(buyer.purchase_seq, 0) AS seq,
  buyer.first_purchase_order AS first_purchase_order
MATCH (source:Member {id: o.source_id})
OPTIONAL MATCH (buyer)-[invited:INVITED_BY|WAS_INVITED_BY]->(buyer_inviter:Member)
WHERE coalesce(invited.valid_from, 0) <= o.placed_at AND (invited.valid_to IS NULL OR o.placed_at < invited.valid_to)
OPTIONAL MATCH up = (source)-[:INVITED_BY|WAS_INVITED_BY*1..3]->(a:Member)
WHERE all(r IN relationships(up) WHERE coalesce(r.valid_from, 0) <= o.placed_at AND (r.valid_to IS NULL OR o.placed_at < r.valid_to))
WITH o, seq, first_purchase_order, buyer, source, buyer_inviter, collect([length(up), a.id]) AS ups
WITH o, seq, first_purchase_order, buyer, source, buyer_inviter, [u IN ups WHERE u[1] IS NOT NULL] AS ups
UNWIND [source.id, buyer.id] + [u IN ups | u[1]] +
  CASE WHEN buyer_inviter IS NULL THEN [] ELSE [buyer_inviter.id] END AS member_id
// Each history's version (her tier_seq) goes with it: the order keeps the versions it was
// priced with, so a later paid mark that corrects a history re-prices nothing.
MATCH (member:Member {id: member_id})
WITH o, seq, first_purchase_order, buyer, source, buyer_inviter, ups, member,
  coalesce(member.tier_seq, 0) AS tier_seq
OPTIONAL MATCH (t:TierChange {member_id: member.id})
WHERE t.at <= o.placed_at
WITH o, seq, first_purchase_order, buyer, source, buyer_inviter, ups, member, tier_seq, collect([t.at, t.seq, t.tier, coalesce(t.floor, false)]) AS changes
WITH o, seq, first_purchase_order, buyer, source, buyer_inviter, ups,
  collect([member.id, [c IN changes WHERE c[0] IS NOT NULL]]) AS histories,
  collect([member.id, tier_seq]) AS tier_seqs,
  // Each one's status history: rewards follow her status at placed_at.
  collect([member.id, coalesce(member.status_times, []), coalesce(member.statuses, [])])
    AS statuses
RETURN o.id AS order_id, buyer.joined_at AS buyer_joined_at, source.joined_at AS source_joined_at,
  ups AS ancestors, buyer_inviter.id AS buyer_inviter_id, histories, tier_seqs, statuses,
  first_purchase_order, seq
