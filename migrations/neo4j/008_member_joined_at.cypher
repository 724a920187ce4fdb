CREATE INDEX member_joined_at IF NOT EXISTS
FOR (m:Member) ON (m.joined_at)
