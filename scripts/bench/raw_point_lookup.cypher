// Benchmark baseline: the cheapest read by id the engine can do.
MATCH (m:Member {id: $id})
RETURN m.tier AS tier
