// Up to $limit members drawn uniformly at random (`refgraph verify --sample`): a sort of
// every id by a random key that keeps only the top $limit.
MATCH (m:Member)
WITH m.id AS id, rand() AS draw
ORDER BY draw
LIMIT $limit
RETURN id
