// A member's funnel over [$from, $to): clicks on her codes' landing pages, her direct
// invitees who joined then, and how many of those are paid.
MATCH (m:Member {id: $member_id})
OPTIONAL MATCH (k:ReferralClick {member_id: $member_id})
WHERE k.at >= $from AND k.at < $to
WITH m, count(k) AS clicks
OPTIONAL MATCH (i:Member)-[:INVITED_BY]->(m)
WHERE i.joined_at >= $from AND i.joined_at < $to
RETURN clicks, count(i) AS registrations, count(i.paid_at) AS paid
