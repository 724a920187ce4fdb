// Betweenness of every node of the projection $graph, by member id. On an undirected
// projection GDS sums each unordered pair once (sigma(s, t | v) / sigma(s, t), unnormalised).
// $config: {} for an unweighted projection, {relationshipWeightProperty: 'weight'} else.
CALL gds.betweenness.stream($graph, $config) YIELD nodeId, score
RETURN gds.util.asNode(nodeId).id AS id, score
