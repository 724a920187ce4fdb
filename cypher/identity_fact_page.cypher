// One page of the identity facts a signals run reads, as columns (one record, a list per
// column): the facts of up to `$page` members whose ids follow `$after` (null: the first
// page) along the member id index, each fact's member, kind, value and when she was first
// seen with it. `next` is where the following page starts, null after the last. `$ceiling`
// is FalkorDB's.
MATCH (m:Member)
WHERE m.id > coalesce($after, '')
WITH m
ORDER BY m.id
LIMIT $page
WITH collect(m) AS ms
CALL (ms) {
  UNWIND ms AS m
  UNWIND range(0, size(coalesce(m.identity_keys, [])) - 1) AS i
  RETURN count(*) AS facts, collect(m.id) AS member_ids, collect(m.identity_kinds[i]) AS kinds,
    collect(m.identity_values[i]) AS fact_values, collect(m.identity_at[i]) AS at
}
RETURN CASE WHEN size(ms) < $page THEN null ELSE last(ms).id END AS next, facts, member_ids,
  kinds, fact_values, at
