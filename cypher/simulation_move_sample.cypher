// Up to 20 members of a simulated move: her tier now, and paid direct invites in a range.
MATCH (m:Member)
WHERE m.tier = $tier AND m.levels_paid[0] >= $low AND m.levels_paid[0] <= $high
RETURN m.id AS id
LIMIT 20
