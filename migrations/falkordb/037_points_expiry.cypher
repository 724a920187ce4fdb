// Points entries by when they expire: the webhook worker looks for lots expiring soon.
CREATE INDEX FOR (p:PointsEntry) ON (p.expires_at)
