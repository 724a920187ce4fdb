// Landing-page clicks on referral codes: unique click ids, counted per member.
CREATE CONSTRAINT referral_click_unique IF NOT EXISTS
FOR (k:ReferralClick) REQUIRE k.id IS UNIQUE;
CREATE INDEX referral_click_member IF NOT EXISTS
FOR (k:ReferralClick) ON (k.member_id, k.at)
