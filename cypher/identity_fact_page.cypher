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
WITH collect(m.id) AS ids
OPTIONAL MATCH (f:IdentityFact)
WHERE f.member_id IN ids
WITH ids, collect(f) AS fs
RETURN CASE WHEN size(ids) < $page THEN null ELSE last(ids) END AS next, size(fs) AS facts,
  [f IN fs | f.member_id] AS member_ids, [f IN fs | f.kind] AS kinds,
  [f IN fs | f.value] AS fact_values, [f IN fs | f.at] AS at
