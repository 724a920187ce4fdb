// Downline size counted by walking the tree: the audit-side check of the maintained counters.
MATCH (m:Member {id: $id})
OPTIONAL MATCH (d:Member)-[:INVITED_BY*1..]->(m)
RETURN count(d) AS total, count(d.paid_at) AS paid
