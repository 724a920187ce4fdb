// Registers a batch of new members: each member, her invitation edge, the maintained
// counters of every ancestor and her member.registered event, in one atomic statement.
// A row is created only when its id is new and its inviter (if any) exists and joined no
// later than the row (a member cannot join before her inviter; the same millisecond is
// fine); the caller classifies the rows that come back missing. An inviter's joined_at is
// written once, at her creation, so it needs no lock to be read here.
// A new member is always a leaf and no other statement adds an INVITED_BY edge, so the
// forest stays acyclic by construction.
// Callers send each id at most once per batch and never a row whose inviter is in the same
// batch (both engines run each clause over all rows before the next one).
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
// Her member.registered event enters the outbox with her.
CREATE (:OutboxEvent {
  id: row.event.id, type: row.event.type, member_id: row.id, at: row.event.at,
  rank: row.event.rank, data_json: row.event.data_json, written_at: $written_at, state: 'new'
})
WITH collect([m, inviter]) AS created, collect(inviter) AS inviters
// Counters: every ancestor of every new member (one row each, found without building
// paths, the level from the stored depths), aggregated so that an ancestor shared by the
// whole batch (a hot root) is written once per statement, and written deepest first: on
// Neo4j every writer then locks a chain in the same order and cannot deadlock on it.
CALL (inviters) {
  UNWIND inviters AS inviter
  // No label on `a`: only members are invited by, and checking it costs a fifth of a deep
  // write on FalkorDB (GRAPH.PROFILE at 1M members).
  MATCH (inviter)-[:INVITED_BY*0..]->(a)
  WITH a, inviter.depth - a.depth AS level, count(*) AS added
  WITH a, sum(added) AS total, collect([level, added]) AS per_level, min(level) AS nearest
  ORDER BY a.depth DESC
  SET a.downline_total = a.downline_total + total
  // Only the tracked levels rewrite the histogram: most of a deep chain is further up.
  FOREACH (x IN CASE WHEN nearest < size(a.levels_total) THEN [a] ELSE [] END |
    SET x.levels_total = [k IN range(0, size(x.levels_total) - 1) |
      x.levels_total[k] + reduce(s = 0, p IN per_level | s + CASE WHEN p[0] = k THEN p[1] ELSE 0 END)])
}
// The edges come last, once the chain's node locks are held: creating an edge locks the
// inviter's relationships.
UNWIND created AS pair
WITH pair[0] AS m, pair[1] AS inviter
FOREACH (i IN CASE WHEN inviter IS NULL THEN [] ELSE [inviter] END | CREATE (m)-[:INVITED_BY]->(i))
RETURN m.id AS id
