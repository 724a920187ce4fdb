// One page of the identity facts a signals run reads, as columns: each fact's member, kind,
// value and when she was first seen with it, for the members of internal ids
// [$after (null: 0), $after + $page) below `$ceiling` (the members' own); `next` starts the
// following page, null after the last. Each column is one string of space-separated values
// (no id, kind or value holds whitespace: app/domain/identity.py).
// The bounds are named first: FalkorDB seeks an id range given by variables or parameters,
// and scans the whole label when a bound is an expression.
WITH coalesce($after, 0) AS lo, coalesce($after, 0) + $page AS hi
MATCH (m:Member)
WHERE id(m) >= lo AND id(m) < hi
WITH collect(m) AS ms
WITH [m IN ms WHERE size(coalesce(m.identity_keys, [])) > 0] AS holders
RETURN
  CASE
    WHEN coalesce($after, 0) + $page >= $ceiling THEN null
    ELSE coalesce($after, 0) + $page
  END AS next,
  reduce(n = 0, m IN holders | n + size(m.identity_keys)) AS facts,
  string.join([m IN holders | string.join([k IN m.identity_keys | m.id], ' ')], ' ')
    AS member_ids,
  string.join([m IN holders | string.join(m.identity_kinds, ' ')], ' ') AS kinds,
  string.join([m IN holders | string.join(m.identity_values, ' ')], ' ') AS fact_values,
  string.join([m IN holders | string.join([t IN m.identity_at | toString(t)], ' ')], ' ')
    AS at
