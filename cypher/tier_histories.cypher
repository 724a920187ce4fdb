// Each member's tier changes up to a moment, as (at, seq, tier) rows, with the version of
// her history (tier_seq): the caller reads the tier from them (app/domain/tiers.py).
UNWIND $asks AS ask
MATCH (m:Member {id: ask.id})
OPTIONAL MATCH (t:TierChange {member_id: ask.id})
WHERE t.at <= ask.at
WITH ask, m, collect([t.at, t.seq, t.tier, coalesce(t.floor, false)]) AS changes
RETURN ask.id AS id, ask.at AS at, coalesce(m.tier_seq, 0) AS tier_seq,
       [c IN changes WHERE c[0] IS NOT NULL] AS changes
