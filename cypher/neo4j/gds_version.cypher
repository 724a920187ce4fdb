// Whether this Neo4j has Graph Data Science: its version, or an error (unknown function).
RETURN gds.version() AS version
