// Records a click on a referral code's landing page, once per click id (a retry writes
// nothing and returns the stored click).
MATCH (c:ReferralCode {code: $code})
OPTIONAL MATCH (existing:ReferralClick {id: $click.id})
WITH c, existing
FOREACH (x IN CASE WHEN existing IS NULL THEN [1] ELSE [] END |
  CREATE (:ReferralClick {id: $click.id, code: c.code, member_id: c.member_id, at: $click.at}))
WITH c
MATCH (k:ReferralClick {id: $click.id})
RETURN k.id AS id, k.code AS code, k.member_id AS member_id, k.at AS at
