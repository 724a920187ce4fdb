// Where exports paged by internal id range stop: FalkorDB's (cypher/falkordb/). Neo4j's
// pages follow an id index and say themselves when they are the last, so it needs none.
RETURN null AS ceiling
