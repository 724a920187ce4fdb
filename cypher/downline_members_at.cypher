// Every member below $id who had joined by $as_of, with her inviter then, name and whether
// she was paid then (the tree as it stood then, GET /v1/members/{id}/tree?as_of=, is built
// from these in Python): the invitation edges valid at $as_of, as downline_levels_at.
MATCH below = (d:Member)-[:INVITED_BY|WAS_INVITED_BY*1..]->(:Member {id: $id})
WHERE d.joined_at <= $as_of
  AND all(r IN relationships(below) WHERE coalesce(r.valid_from, 0) <= $as_of AND (r.valid_to IS NULL OR $as_of < r.valid_to))
RETURN d.id AS id, nodes(below)[1].id AS inviter_id, d.name AS name,
       (coalesce(d.paid_at <= $as_of, false)
       OR any(i IN range(0, size(coalesce(d.paid_since, [])) - 1)
       WHERE d.paid_since[i] <= $as_of AND $as_of < d.paid_until[i])) AS paid
