// Records a paid super membership of a member, in one statement. Nothing is written and no
// row comes back when the member does not exist, the id is taken (a retry, or a conflict the
// caller tells apart by reading it) or the membership starts before she joined.
MATCH (m:Member {id: $member_id})
OPTIONAL MATCH (existing:SuperMembership {id: $membership.id})
WITH m, existing
WHERE existing IS NULL AND $membership.starts_at >= m.joined_at
CREATE (s:SuperMembership {
  id: $membership.id, member_id: m.id, starts_at: $membership.starts_at,
  expires_at: $membership.expires_at, amount: $membership.amount,
  currency: $membership.currency, created_at: $now
})
RETURN s.id AS id
