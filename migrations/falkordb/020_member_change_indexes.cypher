// Members' audit trail (PATCH, erasure, …): looked up by change id (unique, next migration)
// and read by member.
CREATE INDEX FOR (c:MemberChange) ON (c.id, c.member_id)
