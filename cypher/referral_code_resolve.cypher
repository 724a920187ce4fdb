// Whose a referral code is, and whether it is her newest one.
MATCH (c:ReferralCode {code: $code})
MATCH (m:Member {id: c.member_id})
RETURN c.code AS code, c.member_id AS member_id, c.created_at AS created_at,
       c.seq = coalesce(m.referral_codes, 0) AS current
