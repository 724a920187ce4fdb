// One page of the projection a connector run reads, as columns (one record, a list per
// column: a record per member costs more to decode than the values): each member's id,
// inviter, join time and paid direct invites. Pages follow the member id index from the id
// `$after` (null: the first page); `until` is the page's last id (null: empty), `next`
// where the following page starts, null after the last. `$ceiling` is FalkorDB's.
MATCH (m:Member)
WHERE m.id > coalesce($after, '')
WITH m
ORDER BY m.id
LIMIT $page
WITH collect(m) AS ms
RETURN last(ms).id AS until, CASE WHEN size(ms) < $page THEN null ELSE last(ms).id END AS next,
  size(ms) AS members, [m IN ms | m.id] AS ids, [m IN ms | m.inviter_id] AS inviter_ids,
  [m IN ms | m.joined_at] AS joined_at,
  [m IN ms | coalesce(m.levels_paid[0], 0)] AS paid_direct_invites
