// One member's counters recounted by walking the graph (`refgraph verify --sample`): her
// depth as the length of her chain up to a root, and per level of her downline (0: her
// direct invitees) how many members it holds and how many of them are paid.
MATCH (m:Member {id: $id})
OPTIONAL MATCH chain = (m)-[:INVITED_BY*1..]->(root:Member)
WHERE NOT (root)-[:INVITED_BY]->()
WITH m, CASE WHEN chain IS NULL THEN 0 ELSE length(chain) END AS depth
OPTIONAL MATCH below = (d:Member)-[:INVITED_BY*1..]->(m)
WITH depth, CASE WHEN below IS NULL THEN -1 ELSE length(below) - 1 END AS level,
  count(d) AS total, count(d.paid_at) AS paid
RETURN depth, collect([level, total, paid]) AS levels
