// Marks a batch of members paid: the paid time, the paid counters of every ancestor and the
// inviter's tier (with one TierChange per tier crossed), and the outbox events of each
// (member.paid, member.tier_changed), in one atomic statement.
// A member already paid is left as she is, so a retry changes nothing.
// Callers send each id at most once per batch. $top: the ladder's highest threshold.
UNWIND $rows AS row
MATCH (m:Member {id: row.id})
// On Neo4j a write lock must be held before paid_at is read, or two concurrent marks of one
// member would both count her; FalkorDB runs writes one at a time and ignores it.
SET m.lock_ = true
WITH row, m, m.paid_at IS NULL AS unpaid
REMOVE m.lock_
WITH row, m WHERE unpaid
SET m.paid_at = row.paid_at
// Her member.paid event enters the outbox with the mark.
CREATE (:OutboxEvent {
  id: row.event.id, type: row.event.type, member_id: row.id, at: row.event.at,
  rank: row.event.rank, data_json: row.event.data_json, written_at: $written_at, state: 'new'
})
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
WITH inviter, collect(row.id) AS marked
// Every counter above is final. Her tier history is a function of her invitees' paid times:
// she reached k paid invites at the k-th earliest of them. So each tier's crossing is read
// from those times (the marks of this batch included, then left out), and a TierChange is
// written for each crossing that is new or moved earlier, at its true time: a late paid
// mark corrects the history (the highest tier reached wins) instead of appending at the
// end, and tiers reached in one batch each get their own change.
OPTIONAL MATCH (inviter)<-[:INVITED_BY]-(invitee:Member)
WHERE invitee.paid_at IS NOT NULL
WITH inviter, marked, invitee
ORDER BY invitee.paid_at, invitee.id
WITH inviter, marked, collect([invitee.paid_at, invitee.id]) AS paid
WITH inviter, marked, [p IN paid | p[0]][..$top] AS times,
  [p IN paid WHERE NOT p[1] IN marked | p[0]][..$top] AS before
WITH inviter, marked, [k IN range(1, size($ladder) - 1) | {
    tier: $ladder[k].tier,
    previous: $ladder[k - 1].tier,
    at: CASE WHEN size(times) >= $ladder[k].min_paid_invites
             THEN times[$ladder[k].min_paid_invites - 1] END,
    was: CASE WHEN size(before) >= $ladder[k].min_paid_invites
              THEN before[$ladder[k].min_paid_invites - 1] END
  }] AS crossings
// A history that stepped down once (`tier_floors`) is no longer the k-th earliest paid time:
// the service rewrites it after the mark (cypher/tier_history_put.cypher).
WITH inviter, marked, [c IN crossings WHERE c.at IS NOT NULL] AS reached,
  [c IN crossings WHERE c.at IS NOT NULL AND inviter.tier_floors IS NULL
     AND (c.was IS NULL OR c.at < c.was)] AS changes
FOREACH (k IN range(0, size(changes) - 1) |
  CREATE (:TierChange {
    member_id: inviter.id, seq: inviter.tier_seq + k + 1, tier: changes[k].tier,
    previous: changes[k].previous, at: changes[k].at
  })
  CREATE (:OutboxEvent {
    id: 'evt_' + randomUUID(), type: 'member.tier_changed', member_id: inviter.id,
    at: changes[k].at, rank: $tier_changed_rank, tier: changes[k].tier,
    previous: changes[k].previous, written_at: $written_at, state: 'new'
  }))
FOREACH (last IN CASE WHEN size(changes) > 0 THEN reached[-1..] ELSE [] END |
  SET inviter.tier = last.tier, inviter.tier_since = last.at,
      inviter.tier_seq = inviter.tier_seq + size(changes))
RETURN marked
