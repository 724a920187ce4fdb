// How many members have no search key (their count less the keys'): both counts come from
// the engine's label counts, so a graph with every key in place costs no scan.
MATCH (m:Member)
WITH count(m) AS members
OPTIONAL MATCH (k:SearchKey)
WITH members, count(k) AS keys
RETURN members - keys AS missing
