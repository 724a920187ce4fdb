// How many of a member's direct invitees were paid at a moment (audits of past tiers): the
// invitation edges valid then, and paid marks undone since while they held.
MATCH (c:Member)-[r:INVITED_BY|WAS_INVITED_BY]->(:Member {id: $id})
WHERE coalesce(r.valid_from, 0) <= $as_of AND (r.valid_to IS NULL OR $as_of < r.valid_to)
  AND (coalesce(c.paid_at <= $as_of, false)
       OR any(i IN range(0, size(coalesce(c.paid_since, [])) - 1)
       WHERE c.paid_since[i] <= $as_of AND $as_of < c.paid_until[i]))
RETURN count(c) AS paid
