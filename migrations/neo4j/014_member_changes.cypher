// Members' audit trail (PATCH, erasure, …): a change id is unique, a member's trail is read
// by her id.
CREATE CONSTRAINT member_change_id_unique IF NOT EXISTS
FOR (c:MemberChange) REQUIRE c.id IS UNIQUE;
CREATE INDEX member_change_member IF NOT EXISTS
FOR (c:MemberChange) ON (c.member_id)
