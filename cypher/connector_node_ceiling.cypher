// Where a connector export's pages stop. Neo4j pages by the member id index and needs none
// (its pages say when they are the last); FalkorDB's pages by internal id range do
// (cypher/falkordb/).
RETURN null AS ceiling
