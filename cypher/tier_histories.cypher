// Each member's tier changes up to a moment, as (at, seq, tier) rows: the caller takes the
// latest (none: she held the base tier).
UNWIND $asks AS ask
OPTIONAL MATCH (t:TierChange {member_id: ask.id})
WHERE t.at <= ask.at
WITH ask, collect([t.at, t.seq, t.tier]) AS changes
RETURN ask.id AS id, ask.at AS at, [c IN changes WHERE c[0] IS NOT NULL] AS changes
