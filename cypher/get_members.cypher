// Members by id, with the counters the hot reads answer from (an index seek per id).
UNWIND $ids AS member_id
MATCH (m:Member {id: member_id})
RETURN m.id AS id, m.inviter_id AS inviter_id, m.name AS name, m.joined_at AS joined_at,
       m.paid_at AS paid_at, m.attributes_json AS attributes_json, m.depth AS depth,
       m.tier AS tier, m.tier_since AS tier_since,
       m.downline_total AS downline_total, m.downline_paid AS downline_paid,
       m.levels_total AS levels_total, m.levels_paid AS levels_paid,
       m.erased_at AS erased_at, coalesce(m.rev, 0) AS rev,
       coalesce(m.status_times, []) AS status_times, coalesce(m.statuses, []) AS statuses,
       coalesce(m.paid_since, []) AS paid_since, coalesce(m.paid_until, []) AS paid_until,
       m.hold_reason AS hold_reason
