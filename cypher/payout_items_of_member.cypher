// Every payout item of a member, each with where it stands.
MATCH (i:PayoutItem {member_id: $member_id})
RETURN i.id AS id, i.status AS status
