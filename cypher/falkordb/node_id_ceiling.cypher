// One past the highest internal node id: where paging by id range stops.
MATCH (n)
RETURN coalesce(max(id(n)), -1) + 1 AS ceiling
