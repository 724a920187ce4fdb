// Registers a batch of new members: each member, her invitation edge and the maintained
// counters of every ancestor, in one atomic statement.
// A row is created only when its id is new and its inviter (if any) exists; the caller
// classifies the rows that come back missing. A new member is always a leaf and no other
// statement adds an INVITED_BY edge, so the forest stays acyclic by construction.
// Callers send each id at most once per batch and never a row whose inviter is in the same
// batch (both engines run each clause over all rows before the next one).
UNWIND $rows AS row
OPTIONAL MATCH (existing:Member {id: row.id})
OPTIONAL MATCH (inviter:Member {id: row.inviter_id})
WITH row, existing, inviter
WHERE existing IS NULL AND (row.inviter_id IS NULL) = (inviter IS NULL)
CREATE (m:Member {
  id: row.id, inviter_id: row.inviter_id, name: row.name, attributes_json: row.attributes_json,
  joined_at: row.joined_at, depth: coalesce(inviter.depth + 1, 0),
  downline_total: 0, downline_paid: 0, levels_total: $zero_levels, levels_paid: $zero_levels,
  tier: $base_tier, tier_since: row.joined_at, tier_seq: 0
})
FOREACH (i IN CASE WHEN inviter IS NULL THEN [] ELSE [inviter] END | CREATE (m)-[:INVITED_BY]->(i))
WITH m, inviter
OPTIONAL MATCH chain = (inviter)-[:INVITED_BY*0..]->(root:Member)
WHERE NOT (root)-[:INVITED_BY]->()
WITH m, CASE WHEN chain IS NULL THEN [] ELSE nodes(chain) END AS ancestors
// Ancestors are updated from the inviter upwards: every writer locks a shared ancestor after
// its descendants, so concurrent writers on Neo4j cannot deadlock on the chain.
FOREACH (distance IN range(1, size(ancestors)) |
  FOREACH (a IN [ancestors[distance - 1]] |
    SET a.downline_total = a.downline_total + 1,
        a.levels_total = [k IN range(0, size(a.levels_total) - 1) |
          a.levels_total[k] + CASE WHEN k = distance - 1 THEN 1 ELSE 0 END]))
RETURN m.id AS id
