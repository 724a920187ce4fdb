// Every member's first paid mark at or after a moment, with her inviter then (the events a
// `paid` referral bonus pays for, once per invitee: a sponsor move since does not move it),
// and when that mark was undone (null: it holds). A walk of every invited member: audits
// read everything anyway.
MATCH (m:Member)-[r:INVITED_BY|WAS_INVITED_BY]->(inviter:Member)
WITH m, r, inviter, coalesce(head(m.paid_since), m.paid_at) AS first
WHERE first >= $from AND coalesce(r.valid_from, 0) <= first AND (r.valid_to IS NULL OR first < r.valid_to)
RETURN m.id AS id, inviter.id AS inviter_id, first AS paid_at, head(m.paid_until) AS undone_at
