// Paid super memberships: a unique id, and the index the tier read finds a member's by.
CREATE CONSTRAINT super_membership_id_unique IF NOT EXISTS
FOR (s:SuperMembership) REQUIRE s.id IS UNIQUE;
CREATE INDEX super_membership_member IF NOT EXISTS
FOR (s:SuperMembership) ON (s.member_id)
