// Issues a member a referral code, only if her newest code is still the one the caller read
// ($seq: how many she has had; 0 for none), so two callers cannot both issue one, and only
// if no one holds the drawn code (the unique constraint stays the backstop). No row when
// she is not a member, her codes changed meanwhile or the code is taken: the caller reads
// again and draws again.
MATCH (m:Member {id: $member_id})
SET m.lock_ = true
WITH m, coalesce(m.referral_codes, 0) = $seq AS current
REMOVE m.lock_
WITH m, current
OPTIONAL MATCH (taken:ReferralCode {code: $code})
WITH m, current, taken
WHERE current AND taken IS NULL
CREATE (c:ReferralCode {code: $code, member_id: m.id, created_at: $now, seq: $seq + 1})
SET m.referral_codes = $seq + 1
RETURN c.code AS code
