// Referral codes: unique, resolved by code, listed by member.
CREATE CONSTRAINT referral_code_unique IF NOT EXISTS
FOR (c:ReferralCode) REQUIRE c.code IS UNIQUE;
CREATE INDEX referral_code_member IF NOT EXISTS
FOR (c:ReferralCode) ON (c.member_id)
