// Paid marks at or after $from whose paid-trigger bonus is not written (its entry id is
// $bonus_prefix + the invitee's id): what a crash between a paid mark and its bonus leaves.
// The engine does the anti-join, an index seek per paid member, so a graph with nothing to
// repair returns no row and the service's start stays fast.
MATCH (m:Member)-[r:INVITED_BY|WAS_INVITED_BY]->(inviter:Member)
WHERE m.paid_at >= $from AND coalesce(r.valid_from, 0) <= m.paid_at AND (r.valid_to IS NULL OR m.paid_at < r.valid_to)
  // A bonus is once per invitee, for her first mark: after an undo, a new mark earns none.
  AND m.paid_since IS NULL
OPTIONAL MATCH (e:LedgerEntry {id: $bonus_prefix + m.id})
WITH m, inviter, e
WHERE e IS NULL
RETURN m.id AS id, inviter.id AS inviter_id, m.paid_at AS paid_at
