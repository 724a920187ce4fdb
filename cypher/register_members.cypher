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
// Every ancestor, one row each, nearest first: a writer on Neo4j locks a shared ancestor
// after her descendants, so concurrent writers cannot deadlock on a chain. The level comes
// from the stored depths (no path is built, so a write costs O(depth)); only the tracked
// levels rewrite the histogram list.
WITH m, inviter
OPTIONAL MATCH (inviter)-[:INVITED_BY*0..]->(a:Member)
WITH m, a, m.depth - a.depth - 1 AS level
FOREACH (x IN CASE WHEN a IS NULL THEN [] ELSE [a] END |
  SET x.downline_total = x.downline_total + 1)
FOREACH (x IN CASE WHEN a IS NOT NULL AND level < size(a.levels_total) THEN [a] ELSE [] END |
  SET x.levels_total = [k IN range(0, size(x.levels_total) - 1) |
        x.levels_total[k] + CASE WHEN k = level THEN 1 ELSE 0 END])
WITH DISTINCT m
RETURN m.id AS id
