MATCH (m:Member)
RETURN count(m.depth) AS members
