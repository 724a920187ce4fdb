// Projects the connector graph without circles into GDS as $graph: every member (a root
// with no inviter is projected alone) and her invitation edge, undirected.
MATCH (m:Member)
OPTIONAL MATCH (m)-[:INVITED_BY]->(inviter:Member)
WITH gds.graph.project($graph, m, inviter, {}, {undirectedRelationshipTypes: ['*']}) AS g
RETURN g.nodeCount AS nodes, g.relationshipCount AS relationships
