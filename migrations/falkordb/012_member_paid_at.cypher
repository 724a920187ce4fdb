CREATE INDEX FOR (m:Member) ON (m.paid_at)
