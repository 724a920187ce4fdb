CREATE INDEX FOR (m:Member) ON (m.joined_at)
