// A member's referral codes, newest first (the first is her code now).
MATCH (c:ReferralCode {member_id: $member_id})
RETURN c.code AS code, c.member_id AS member_id, c.created_at AS created_at
ORDER BY c.created_at DESC, c.seq DESC
