// The FalkorDB dialect of cypher/import_members.cypher (read that one for why): FalkorDB
// opens a subquery with CALL { }, not Neo4j's scoped CALL () { }.
// Writes one statement of a bulk import (app/domain/forest.py, plan_bulk_writes): new
// members with their counters, tier and tier history already computed from the file, their
// invitation edges, and the aggregated increments of the members above them, atomically.
// No per-row checks: the importer settled every row against the graph first, and the
// unique constraint on Member.id fails the whole statement if a concurrent writer created
// one of these ids meanwhile (a re-run then skips it).
// $anchors: members outside the statement under whom it creates members; each adds its
// totals to every ancestor, its per-level counts shifted by the ancestor's distance; an
// ancestor shared by several anchors is written once, deepest first (Neo4j's lock order,
// as in register_members).
CALL {
  UNWIND $anchors AS anchor
  MATCH (e:Member {id: anchor.id})
  MATCH (e)-[:INVITED_BY*0..]->(a)
  WITH a, e.depth - a.depth AS shift, anchor
  WITH a, sum(anchor.total) AS total, sum(anchor.paid) AS paid, min(shift) AS nearest,
    collect([shift, anchor.levels_total, anchor.levels_paid]) AS parts
  ORDER BY a.depth DESC
  SET a.downline_total = a.downline_total + total, a.downline_paid = a.downline_paid + paid
  FOREACH (x IN CASE WHEN nearest < size(a.levels_total) THEN [a] ELSE [] END |
    SET x.levels_total = [k IN range(0, size(x.levels_total) - 1) |
      x.levels_total[k] + reduce(s = 0, p IN parts |
        s + CASE WHEN k >= p[0] THEN p[1][k - p[0]] ELSE 0 END)],
      x.levels_paid = [k IN range(0, size(x.levels_paid) - 1) |
      x.levels_paid[k] + reduce(s = 0, p IN parts |
        s + CASE WHEN k >= p[0] THEN p[2][k - p[0]] ELSE 0 END)])
}
// Inviters created by an earlier statement of the import whose paid invitees here cross a
// tier (their TierChanges are in $changes).
CALL {
  UNWIND $tiers AS raised
  MATCH (m:Member {id: raised.id})
  SET m.tier = raised.tier, m.tier_since = raised.tier_since, m.tier_seq = raised.tier_seq
}
FOREACH (change IN $changes |
  CREATE (:TierChange {
    member_id: change.member_id, seq: change.seq, tier: change.tier,
    previous: change.previous, at: change.at
  }))
WITH 1 AS one
UNWIND $rows AS row
CREATE (m:Member {
  id: row.id, inviter_id: row.inviter_id, name: row.name, attributes_json: null,
  joined_at: row.joined_at, paid_at: row.paid_at, depth: row.depth,
  downline_total: row.downline_total, downline_paid: row.downline_paid,
  levels_total: row.levels_total, levels_paid: row.levels_paid,
  tier: row.tier, tier_since: row.tier_since, tier_seq: row.tier_seq
})
CREATE (:SearchKey {member_id: row.id, id_key: row.id_key, name_key: row.name_key})
// Her inviter is stored, or created by this statement (every CREATE above runs first).
WITH m, row
OPTIONAL MATCH (i:Member {id: row.inviter_id})
FOREACH (x IN CASE WHEN i IS NULL THEN [] ELSE [i] END | CREATE (m)-[:INVITED_BY]->(x))
RETURN count(m) AS created
