// Points entries: unique ids (one earn per order, one grant per member and action), read
// per member by event time.
CREATE CONSTRAINT points_entry_unique IF NOT EXISTS
FOR (p:PointsEntry) REQUIRE p.id IS UNIQUE;
CREATE INDEX points_entry_member IF NOT EXISTS
FOR (p:PointsEntry) ON (p.member_id, p.event_at)
