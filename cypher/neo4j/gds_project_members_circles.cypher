// Projects the connector graph with circles into GDS as $graph, members only: each
// invitation is an edge of weight 1 and each circle an edge of weight 2 between every two
// of its members (one per circle they share), undirected. A shortest path's step
// a-circle-b is exactly one such edge, so member-to-member distances and path counts are
// those of the graph with circle nodes, and circles are never endpoints
// (app/domain/connectors.py, `circle_pair_edges`).
CALL () {
  MATCH (m:Member)
  OPTIONAL MATCH (m)-[:INVITED_BY]->(inviter:Member)
  RETURN m AS source, inviter AS target, 1.0 AS weight
  UNION ALL
  MATCH (a:Member)-[:MEMBER_OF]->(circle:Group)<-[:MEMBER_OF]-(b:Member)
  WHERE a.id < b.id
  WITH DISTINCT a, circle, b
  RETURN a AS source, b AS target, 2.0 AS weight
}
WITH gds.graph.project($graph, source, target, {relationshipProperties: {weight: weight}},
  {undirectedRelationshipTypes: ['*']}) AS g
RETURN g.nodeCount AS nodes, g.relationshipCount AS relationships
