// Every member grouped by her tier now and her paid direct invites (one pass, counters only).
MATCH (m:Member)
RETURN m.tier AS tier, m.levels_paid[0] AS paid, count(*) AS members
