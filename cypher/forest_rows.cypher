// Every member with her stored counters and her actual invitation edges, for `verify`.
// A COLLECT subquery rather than an aggregation, so Neo4j streams rows as it finds them;
// see falkordb/forest_rows.cypher for the paged variant.
MATCH (m:Member)
RETURN m.id AS id, m.inviter_id AS inviter_id, m.paid_at AS paid_at, m.depth AS depth,
       m.tier AS tier, m.downline_total AS downline_total, m.downline_paid AS downline_paid,
       m.levels_total AS levels_total, m.levels_paid AS levels_paid,
       COLLECT { MATCH (m)-[:INVITED_BY]->(i:Member) RETURN i.id } AS edge_targets
