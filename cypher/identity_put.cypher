// Records identity facts of members, one IdentityFact node per member, kind and value she
// used, stamped with when it was first seen (her `at`, event time) and written ($now). A
// fact she already has keeps its first stamps, so a retry changes nothing. Facts are her own
// nodes, not shared ones: an erasure deletes hers and leaves no value behind. An erased
// member takes no personal data again. Returns the ids of the members written.
UNWIND $members AS one
MATCH (m:Member {id: one.member_id})
WHERE m.erased_at IS NULL
UNWIND one.facts AS f
MERGE (fact:IdentityFact {member_id: m.id, key: f.key})
ON CREATE SET fact.kind = f.kind, fact.value = f.value, fact.at = one.at, fact.written_at = $now
RETURN collect(DISTINCT m.id) AS member_ids
