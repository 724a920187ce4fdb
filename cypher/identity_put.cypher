// Records identity facts of a member, one IdentityFact node per kind and value she used,
// stamped with when it was first seen ($at, event time) and written ($now). A fact she
// already has keeps its first stamps, so a retry changes nothing. Facts are her own nodes,
// not shared ones: an erasure deletes hers and leaves no value behind. An erased member
// takes no personal data again: no row.
MATCH (m:Member {id: $member_id})
WHERE m.erased_at IS NULL
UNWIND $facts AS f
MERGE (fact:IdentityFact {member_id: m.id, key: f.key})
ON CREATE SET fact.kind = f.kind, fact.value = f.value, fact.at = $at, fact.written_at = $now
RETURN count(fact) AS facts
