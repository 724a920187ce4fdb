// Paid super memberships: the index the tier read finds a member's by, and the id index the
// unique constraint after this one needs.
CREATE INDEX FOR (s:SuperMembership) ON (s.id);
CREATE INDEX FOR (s:SuperMembership) ON (s.member_id)
