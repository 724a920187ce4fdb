// One page of the identity facts a signals run reads, as columns: each fact's member, kind,
// value and when she was first seen with it. Pages are internal id ranges [$after (null: 0),
// $after + $page) below `$ceiling`; `next` starts the following page, null after the last.
// Each column is one string of space-separated values (no id, kind or value holds
// whitespace: app/domain/identity.py).
// The bounds are named first: FalkorDB seeks an id range given by variables or parameters,
// and scans the whole label when a bound is an expression.
WITH coalesce($after, 0) AS lo, coalesce($after, 0) + $page AS hi
MATCH (f:IdentityFact)
WHERE id(f) >= lo AND id(f) < hi
WITH collect(f) AS fs
RETURN
  CASE
    WHEN coalesce($after, 0) + $page >= $ceiling THEN null
    ELSE coalesce($after, 0) + $page
  END AS next,
  size(fs) AS facts,
  string.join([f IN fs | f.member_id], ' ') AS member_ids,
  string.join([f IN fs | f.kind], ' ') AS kinds,
  string.join([f IN fs | f.value], ' ') AS fact_values,
  string.join([f IN fs | toString(f.at)], ' ') AS at
