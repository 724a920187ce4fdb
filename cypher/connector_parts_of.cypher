// The score and parts (JSON) of members, as the latest run wrote them.
UNWIND $ids AS id
MATCH (m:Member {id: id})
WHERE m.connector_score IS NOT NULL
RETURN m.id AS id, m.connector_score AS score, m.connector_parts AS parts
