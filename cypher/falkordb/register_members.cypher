// The FalkorDB dialect of cypher/register_members.cypher (read that one for why).
UNWIND $rows AS row
OPTIONAL MATCH (existing:Member {id: row.id})
OPTIONAL MATCH (inviter:Member {id: row.inviter_id})
WITH row, existing, inviter
WHERE existing IS NULL AND (row.inviter_id IS NULL) = (inviter IS NULL)
  AND (inviter IS NULL OR inviter.joined_at <= row.joined_at)
CREATE (m:Member {
  id: row.id, inviter_id: row.inviter_id, name: row.name, attributes_json: row.attributes_json,
  joined_at: row.joined_at, depth: coalesce(inviter.depth + 1, 0),
  downline_total: 0, downline_paid: 0, levels_total: $zero_levels, levels_paid: $zero_levels,
  tier: $base_tier, tier_since: row.joined_at, tier_seq: 0
})
CREATE (:SearchKey {member_id: row.id, id_key: row.id_key, name_key: row.name_key})
CREATE (:OutboxEvent {
  id: row.event.id, type: row.event.type, member_id: row.id, at: row.event.at,
  rank: row.event.rank, data_json: row.event.data_json, written_at: $written_at, state: 'new'
})
WITH collect([m, inviter]) AS created, collect(inviter) AS inviters
// As cypher/register_members.cypher, except for how the counters are written. FalkorDB
// re-indexes a node on every SET of any of its properties (every index of every label it
// carries: the :Member id, paid_at and joined_at), ~7 of the ~10 µs an ancestor cost at
// 200k members, against 0.4 µs for an unindexed node (GRAPH.PROFILE); so each ancestor is
// written once, and what comes around that write is cut: the tracked levels (the nearest
// ancestors, whose histogram changes) in one bounded match that writes both counters, every
// ancestor above them in a second one that writes only downline_total and aggregates once. FalkorDB runs one write at a time, so the deepest-first order Neo4j needs
// for its locks does not apply. It imports variables into a subquery with WITH (it does not
// parse Neo4j's scoped CALL (x) { }).
CALL {
  WITH inviters
  UNWIND inviters AS inviter
  // No label on `a`: only members are invited by, and checking it costs a fifth of a deep
  // write (GRAPH.PROFILE at 1M members). The bounds are TRACKED_LEVELS (app/domain/members.py,
  // the histograms' length) less one, and TRACKED_LEVELS below: a bound cannot be a parameter.
  MATCH (inviter)-[:INVITED_BY*0..9]->(a)
  WITH a, collect(inviter.depth - a.depth) AS levels
  SET a.downline_total = a.downline_total + size(levels),
    a.levels_total = [k IN range(0, size(a.levels_total) - 1) |
      a.levels_total[k] + size([level IN levels WHERE level = k])]
}
CALL {
  WITH inviters
  UNWIND inviters AS inviter
  MATCH (inviter)-[:INVITED_BY*10..]->(a)
  WITH a, count(*) AS added
  SET a.downline_total = a.downline_total + added
}
// The edges come last, once the chain's node locks are held: creating an edge locks the
// inviter's relationships.
UNWIND created AS pair
WITH pair[0] AS m, pair[1] AS inviter
FOREACH (i IN CASE WHEN inviter IS NULL THEN [] ELSE [inviter] END | CREATE (m)-[:INVITED_BY]->(i))
RETURN m.id AS id
