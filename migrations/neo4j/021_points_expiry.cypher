// Points entries by when they expire: the webhook worker looks for lots expiring soon.
CREATE INDEX points_entry_expires_at IF NOT EXISTS
FOR (p:PointsEntry) ON (p.expires_at)
