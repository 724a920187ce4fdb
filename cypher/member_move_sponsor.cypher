// Moves a member, with her whole downline, under another sponsor from $effective_at on, in
// one statement with its audit entry and its member.sponsor_changed event. Her invitation edge ends (kept as WAS_INVITED_BY, with
// when it held) and a new one starts; every counter of her old and her new upline, and the
// depth of everyone below her, follow. Only if she is at the version the caller read ($rev),
// the change id is new, the new sponsor had joined by $effective_at and is not in her
// downline (no cycle), and nothing was priced through her old edge from $effective_at on
// (her paid mark, a ledger entry of an order whose path went through her); no row otherwise.
// Moves go one at a time (the SponsorMoves node's lock on Neo4j): two moves at once could
// each pass the cycle check and together make a cycle.
MERGE (moves:SponsorMoves {id: 'sponsor-moves'})
SET moves.lock_ = true
WITH moves
MATCH (m:Member {id: $member_id})
MATCH (new:Member {id: $inviter_id})
SET m.lock_ = true
WITH moves, m, new
REMOVE moves.lock_, m.lock_
WITH m, new
OPTIONAL MATCH (done:MemberChange {id: $change.change_id})
OPTIONAL MATCH cycle = (new)-[:INVITED_BY*0..]->(m)
WITH m, new, done, count(cycle) AS cycles
WHERE done IS NULL AND coalesce(m.rev, 0) = $rev AND cycles = 0
  AND new.joined_at <= $effective_at AND coalesce(m.inviter_id, '') <> new.id
  AND (m.paid_at IS NULL OR m.paid_at < $effective_at)
// Entries paid through her edge go to her inviter and at most two above (the depth cap).
OPTIONAL MATCH (m)-[:INVITED_BY*1..3]->(a:Member)
WITH m, new, collect(a.id) AS above
UNWIND CASE WHEN size(above) = 0 THEN [null] ELSE above END AS beneficiary
OPTIONAL MATCH (e:LedgerEntry {beneficiary_id: beneficiary})
WHERE e.event_at >= $effective_at AND m.id IN e.path_ids
WITH m, new, count(e) AS later
WHERE later = 0
// What she brings along: herself and her downline, per level below her.
WITH m, new, m.depth AS old_depth, new.depth + 1 - m.depth AS shift,
  m.downline_total + 1 AS total, CASE WHEN m.paid_at IS NULL THEN 0 ELSE 1 END AS self_paid,
  m.downline_paid AS below_paid, m.levels_total AS levels_total, m.levels_paid AS levels_paid
// Her old upline loses it: an ancestor `up` levels above her held her at level up - 1 and
// her level-k invitees at level up + k (only the tracked levels are kept).
OPTIONAL MATCH (m)-[:INVITED_BY*1..]->(a:Member)
WITH m, new, old_depth, shift, total, self_paid, below_paid, levels_total, levels_paid,
  a, old_depth - a.depth AS up
FOREACH (x IN CASE WHEN a IS NULL THEN [] ELSE [a] END |
  SET x.downline_total = x.downline_total - total,
      x.downline_paid = x.downline_paid - self_paid - below_paid,
      x.levels_total = [k IN range(0, size(x.levels_total) - 1) | x.levels_total[k] -
        CASE WHEN k = up - 1 THEN 1 WHEN k >= up THEN levels_total[k - up] ELSE 0 END],
      x.levels_paid = [k IN range(0, size(x.levels_paid) - 1) | x.levels_paid[k] -
        CASE WHEN k = up - 1 THEN self_paid WHEN k >= up THEN levels_paid[k - up] ELSE 0 END])
WITH m, new, shift, total, self_paid, below_paid, levels_total, levels_paid, count(*) AS ignored
// Her new upline gains it, the new sponsor first (up = 1).
MATCH (new)-[:INVITED_BY*0..]->(b:Member)
WITH m, new, shift, total, self_paid, below_paid, levels_total, levels_paid,
  b, new.depth - b.depth + 1 AS up
SET b.downline_total = b.downline_total + total,
    b.downline_paid = b.downline_paid + self_paid + below_paid,
    b.levels_total = [k IN range(0, size(b.levels_total) - 1) | b.levels_total[k] +
      CASE WHEN k = up - 1 THEN 1 WHEN k >= up THEN levels_total[k - up] ELSE 0 END],
    b.levels_paid = [k IN range(0, size(b.levels_paid) - 1) | b.levels_paid[k] +
      CASE WHEN k = up - 1 THEN self_paid WHEN k >= up THEN levels_paid[k - up] ELSE 0 END]
WITH m, new, shift, count(*) AS ignored
// Everyone below her sits `shift` levels lower (or higher) than before.
OPTIONAL MATCH (d:Member)-[:INVITED_BY*1..]->(m)
WITH m, new, shift, collect(d) AS below
FOREACH (d IN below | SET d.depth = d.depth + shift)
SET m.depth = m.depth + shift
WITH m, new
OPTIONAL MATCH (m)-[old:INVITED_BY]->(previous:Member)
FOREACH (p IN CASE WHEN previous IS NULL THEN [] ELSE [previous] END |
  CREATE (m)-[:WAS_INVITED_BY {
    valid_from: coalesce(old.valid_from, m.joined_at), valid_to: $effective_at
  }]->(p))
DELETE old
CREATE (m)-[:INVITED_BY {valid_from: $effective_at}]->(new)
// Both sponsors' tier histories now follow invitees who came and went: the service derives
// them again (app/services/tier_histories.py), and so after every later paid mark.
SET m.inviter_id = new.id, m.rev = $rev + 1, new.tier_floors = true
FOREACH (p IN CASE WHEN previous IS NULL THEN [] ELSE [previous] END | SET p.tier_floors = true)
CREATE (:MemberChange {
  id: $change.change_id, member_id: m.id, kind: $change.kind, at: $change.at,
  actor_role: $change.actor.role, actor_key_id: $change.actor.key_id,
  reason: $change.reason, changed: $change.changed, fingerprint: $change.fingerprint,
  inviter_id: new.id, previous_inviter_id: previous.id, effective_at: $effective_at
})
CREATE (:OutboxEvent {
  id: 'evt_' + randomUUID(), type: 'member.sponsor_changed', member_id: m.id,
  at: $effective_at, rank: $sponsor_changed_rank, inviter_id: new.id,
  previous_inviter_id: previous.id, change_id: $change.change_id, written_at: $written_at,
  state: 'new'
})
RETURN m.id AS id, previous.id AS previous_inviter_id
