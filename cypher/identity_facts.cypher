// Every identity fact of every member, with when she was first seen with it: what a
// signals run reads.
MATCH (f:IdentityFact)
RETURN f.member_id AS member_id, f.kind AS kind, f.value AS value, f.at AS at
