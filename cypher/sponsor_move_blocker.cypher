// The latest event priced through a member's invitation edge (her paid mark; a ledger entry
// paid through her to her inviter or the two above, the depth cap): a sponsor move may not
// take effect before it. Null when nothing was.
MATCH (m:Member {id: $id})
OPTIONAL MATCH (m)-[:INVITED_BY*1..3]->(a:Member)
WITH m, collect(a.id) AS above
UNWIND CASE WHEN size(above) = 0 THEN [null] ELSE above END AS beneficiary
OPTIONAL MATCH (e:LedgerEntry {beneficiary_id: beneficiary})
WHERE m.id IN e.path_ids
WITH m, max(e.event_at) AS latest_entry
RETURN CASE WHEN latest_entry IS NULL THEN m.paid_at
            WHEN m.paid_at IS NULL OR m.paid_at < latest_entry THEN latest_entry
            ELSE m.paid_at END AS latest
