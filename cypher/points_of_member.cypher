// A member's points entries, how many of them are redemptions (the sequence a redemption's
// write checks against the member's points_seq) and when she joined. The count comes from
// the entries this scan saw, not from m.points_seq: Neo4j reads committed data, so a scan
// can miss a redemption committed while it ran yet read the sequence that redemption set,
// and a balance without it would pass the write's check. Counted from the scan, a missed
// redemption makes the count stale and the write refuses. No row: she is not a member.
MATCH (m:Member {id: $member_id})
OPTIONAL MATCH (p:PointsEntry {member_id: $member_id})
WITH m, p
ORDER BY p.event_at, p.created_at, p.id
WITH m, collect(p) AS entries
RETURN size([x IN entries WHERE x.kind = 'redemption']) AS seq, m.joined_at AS joined_at,
       [x IN entries | properties(x)] AS entries
