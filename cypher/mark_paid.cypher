// Marks a batch of members paid: the paid time, the paid counters of every ancestor and the
// inviter's tier (with one TierChange per tier crossed), in one atomic statement.
// A member already paid is left as she is, so a retry changes nothing.
// Callers send each id at most once per batch, sorted by paid_at.
UNWIND $rows AS row
MATCH (m:Member {id: row.id})
// On Neo4j a write lock must be held before paid_at is read, or two concurrent marks of one
// member would both count her; FalkorDB runs writes one at a time and ignores it.
SET m.lock_ = true
WITH row, m, m.paid_at IS NULL AS unpaid
REMOVE m.lock_
WITH row, m WHERE unpaid
SET m.paid_at = row.paid_at
WITH row, m
OPTIONAL MATCH (m)-[:INVITED_BY]->(inviter:Member)
WITH collect(inviter) AS inviters, collect([row, inviter]) AS marks
// Counters, as in register_members: once per distinct ancestor, deepest first.
CALL (inviters) {
  UNWIND inviters AS inviter
  MATCH (inviter)-[:INVITED_BY*0..]->(a)
  WITH a, inviter.depth - a.depth AS level, count(*) AS added
  WITH a, sum(added) AS total, collect([level, added]) AS per_level, min(level) AS nearest
  ORDER BY a.depth DESC
  SET a.downline_paid = a.downline_paid + total
  // Only the tracked levels rewrite the histogram: most of a deep chain is further up.
  FOREACH (x IN CASE WHEN nearest < size(a.levels_paid) THEN [a] ELSE [] END |
    SET x.levels_paid = [k IN range(0, size(x.levels_paid) - 1) |
      x.levels_paid[k] + reduce(s = 0, p IN per_level | s + CASE WHEN p[0] = k THEN p[1] ELSE 0 END)])
}
UNWIND marks AS mark
WITH mark[0] AS row, mark[1] AS inviter
// Every counter above is final: tiers are evaluated once per inviter, stepping through her
// new paid invitees in time order.
WITH inviter, row ORDER BY row.paid_at
WITH inviter, collect(row.id) AS marked, collect(row.paid_at) AS times
WITH inviter, marked,
  CASE WHEN inviter IS NULL THEN [] ELSE
    [j IN range(1, size(times)) | {
      at: times[j - 1],
      tier: reduce(held = $ladder[0].tier, step IN $ladder |
        CASE WHEN inviter.levels_paid[0] - size(times) + j >= step.min_paid_invites
             THEN step.tier ELSE held END)}]
  END AS steps
WITH inviter, marked, [k IN range(0, size(steps) - 1)
  WHERE steps[k].tier <> CASE WHEN k = 0 THEN inviter.tier ELSE steps[k - 1].tier END
  | steps[k]] AS changes
// History stays in time order even when a paid mark arrives late.
FOREACH (k IN range(0, size(changes) - 1) |
  CREATE (:TierChange {
    member_id: inviter.id, seq: inviter.tier_seq + k + 1, tier: changes[k].tier,
    previous: CASE WHEN k = 0 THEN inviter.tier ELSE changes[k - 1].tier END,
    at: CASE WHEN changes[k].at > inviter.tier_since THEN changes[k].at ELSE inviter.tier_since END
  }))
FOREACH (last IN changes[-1..] |
  SET inviter.tier = last.tier,
      inviter.tier_since = CASE WHEN last.at > inviter.tier_since THEN last.at ELSE inviter.tier_since END,
      inviter.tier_seq = inviter.tier_seq + size(changes))
RETURN marked
