// Drops the projection $graph from GDS's in-memory catalogue (nothing if it is not there).
CALL gds.graph.drop($graph, false) YIELD graphName
RETURN graphName
