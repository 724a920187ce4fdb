// One page of the identity facts a signals run reads, as columns: each fact's member, kind,
// value and when she was first seen with it. Pages are internal id ranges [$after (null: 0),
// $after + $page) below `$ceiling`; `next` starts the following page, null after the last.
// Each column is one string of space-separated values (no id, kind or value holds
// whitespace: app/domain/identity.py).
MATCH (f:IdentityFact)
WHERE id(f) >= coalesce($after, 0) AND id(f) < coalesce($after, 0) + $page
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
