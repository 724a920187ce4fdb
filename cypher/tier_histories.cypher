// Each member's tier changes up to a moment, as (at, seq, tier) rows, with the version of
// her history (tier_seq): the caller reads the tier from them (app/domain/tiers.py).
UNWIND $asks AS ask
MATCH (m:Member {id: ask.id})
// The version is read before the scan it vouches for (see order_context.cypher).
WITH ask, coalesce(m.tier_seq, 0) AS tier_seq
OPTIONAL MATCH (t:TierChange {member_id: ask.id})
WHERE t.at <= ask.at
WITH ask, tier_seq, collect([t.at, t.seq, t.tier, coalesce(t.floor, false)]) AS changes
RETURN ask.id AS id, ask.at AS at, tier_seq,
       [c IN changes WHERE c[0] IS NOT NULL] AS changes
