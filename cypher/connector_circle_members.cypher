// The members of a circle, with their score and parts (JSON) from the latest run.
MATCH (m:Member)-[:MEMBER_OF]->(g:Group {id: $circle})
WHERE m.connector_score IS NOT NULL
RETURN m.id AS id, m.connector_score AS score, m.connector_parts AS parts
