// Points entries: by id (unique, next migration) and by member.
CREATE INDEX FOR (p:PointsEntry) ON (p.id, p.member_id)
