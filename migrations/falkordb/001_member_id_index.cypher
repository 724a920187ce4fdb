CREATE INDEX FOR (m:Member) ON (m.id)
