// Identity facts move from IdentityFact nodes onto their member, as the parallel lists
// cypher/identity_put.cypher writes (oldest first), and the nodes go: a node per fact made
// every write slower as they grew in number. (The empty label's index stays: harmless.)
MATCH (f:IdentityFact)
WITH f
ORDER BY f.member_id, f.at, f.key
WITH f.member_id AS member_id, collect(f) AS fs
OPTIONAL MATCH (m:Member {id: member_id})
FOREACH (member IN CASE WHEN m IS NULL THEN [] ELSE [m] END |
  SET member.identity_keys = [f IN fs | f.key], member.identity_kinds = [f IN fs | f.kind],
      member.identity_values = [f IN fs | f.value], member.identity_at = [f IN fs | f.at],
      member.identity_written_at = [f IN fs | f.written_at])
FOREACH (f IN fs | DELETE f)
