MATCH (m:Member)
RETURN count(m) AS members
