// One past the highest internal id of a member: where a connector export's pages by id
// range stop.
MATCH (m:Member)
RETURN coalesce(max(id(m)), -1) + 1 AS ceiling
