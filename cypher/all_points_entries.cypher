// Every points entry, by member (what `refgraph audit` re-derives).
MATCH (p:PointsEntry)
RETURN properties(p) AS entry
ORDER BY p.member_id, p.event_at, p.id
