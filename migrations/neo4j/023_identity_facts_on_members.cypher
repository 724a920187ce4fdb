// Identity facts move from IdentityFact nodes onto their member, as the parallel lists
// cypher/identity_put.cypher writes (oldest first), and the nodes and their index go: a node
// per fact made writes slower as they grew in number. In batches, so that millions of facts
// do not become one transaction; a run cut short is finished by the next one (the members
// whose nodes are left are written again from all of them).
MATCH (f:IdentityFact)
WITH DISTINCT f.member_id AS member_id
CALL (member_id) {
  MATCH (f:IdentityFact {member_id: member_id})
  WITH f
  ORDER BY f.at, f.key
  WITH collect(f) AS fs
  OPTIONAL MATCH (m:Member {id: member_id})
  FOREACH (member IN CASE WHEN m IS NULL THEN [] ELSE [m] END |
    SET member.identity_keys = [f IN fs | f.key], member.identity_kinds = [f IN fs | f.kind],
        member.identity_values = [f IN fs | f.value], member.identity_at = [f IN fs | f.at],
        member.identity_written_at = [f IN fs | f.written_at])
  FOREACH (f IN fs | DELETE f)
} IN TRANSACTIONS OF 10000 ROWS;
DROP INDEX identity_fact_member IF EXISTS
