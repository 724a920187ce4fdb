// Writes a run's score and parts (JSON) onto each member.
UNWIND $rows AS row
MATCH (m:Member {id: row.id})
SET m.connector_score = row.score, m.connector_parts = row.parts, m.connector_at = $computed_at
