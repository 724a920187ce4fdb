// A member's points entries, with the sequence of her redemptions (what a redemption is
// checked against) and when she joined. No row: she is not a member.
MATCH (m:Member {id: $member_id})
OPTIONAL MATCH (p:PointsEntry {member_id: $member_id})
WITH m, p
ORDER BY p.event_at, p.created_at, p.id
RETURN coalesce(m.points_seq, 0) AS seq, m.joined_at AS joined_at,
       [x IN collect(p) | properties(x)] AS entries
