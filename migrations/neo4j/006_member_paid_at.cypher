CREATE INDEX member_paid_at IF NOT EXISTS
FOR (m:Member) ON (m.paid_at)
