CREATE INDEX FOR (t:TierChange) ON (t.member_id)
