CREATE INDEX tier_change_member IF NOT EXISTS
FOR (t:TierChange) ON (t.member_id)
