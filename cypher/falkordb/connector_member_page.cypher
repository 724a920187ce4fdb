// One page of the projection a connector run reads, as columns: each member's id, inviter
// ('' for none), join time and paid direct invites. Pages are internal id ranges
// [$after (null: 0), until) below `$ceiling` (FalkorDB seeks id ranges; ordering by member
// id would sort every remaining member per page); `next` starts the following page, null
// after the last. Each column is one string of space-separated values: the client parses
// every element of a list in Python, ten times slower than splitting one string, and ids
// hold no whitespace (app/domain/members.py).
// The bounds are named first: FalkorDB seeks an id range given by variables or parameters,
// and scans the whole label when a bound is an expression.
WITH coalesce($after, 0) AS lo, coalesce($after, 0) + $page AS hi
MATCH (m:Member)
WHERE id(m) >= lo AND id(m) < hi
WITH collect(m) AS ms
RETURN coalesce($after, 0) + $page AS until,
  CASE
    WHEN coalesce($after, 0) + $page >= $ceiling THEN null
    ELSE coalesce($after, 0) + $page
  END AS next,
  size(ms) AS members,
  string.join([m IN ms | m.id], ' ') AS ids,
  string.join([m IN ms | coalesce(m.inviter_id, '')], ' ') AS inviter_ids,
  string.join([m IN ms | toString(m.joined_at)], ' ') AS joined_at,
  string.join([m IN ms | toString(coalesce(m.levels_paid[0], 0))], ' ') AS paid_direct_invites
