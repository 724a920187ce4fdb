// Referral codes: resolved by code (unique, next migration), listed by member.
CREATE INDEX FOR (c:ReferralCode) ON (c.code, c.member_id)
