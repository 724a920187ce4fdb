// Landing-page clicks on referral codes: by click id (unique, next migration) and member.
CREATE INDEX FOR (k:ReferralClick) ON (k.id, k.member_id)
