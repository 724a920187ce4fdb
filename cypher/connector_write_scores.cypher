// Writes a run's score and parts (JSON) onto each member. Rows are [id, score, parts]
// lists rather than maps: half the bytes to encode and decode (Neo4j wrote 200,000 in
// half the time).
UNWIND $rows AS row
MATCH (m:Member {id: row[0]})
SET m.connector_score = row[1], m.connector_parts = row[2], m.connector_at = $computed_at
