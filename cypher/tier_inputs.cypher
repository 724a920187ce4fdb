// Everything a member's tier history follows from (app/domain/tiers.py, tier_steps): every
// invitation edge that ever led to her, with when it held and when its invitee was paid
// (her paid mark, and the marks undone since), and her recorded history with its version.
// The version is read before the scans it vouches for (see order_context.cypher).
MATCH (x:Member {id: $id})
WITH x, coalesce(x.tier_seq, 0) AS tier_seq
OPTIONAL MATCH (c:Member)-[r:INVITED_BY|WAS_INVITED_BY]->(x)
WITH x, tier_seq, collect(CASE WHEN c IS NULL THEN null ELSE [
    coalesce(r.valid_from, c.joined_at), r.valid_to, c.paid_at,
    coalesce(c.paid_since, []), coalesce(c.paid_until, [])
  ] END) AS edges
OPTIONAL MATCH (t:TierChange {member_id: $id})
RETURN x.joined_at AS joined_at, tier_seq, edges,
  collect(CASE WHEN t IS NULL THEN null ELSE [t.at, t.seq, t.tier, coalesce(t.floor, false)] END)
    AS changes
