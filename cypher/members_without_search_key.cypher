// One page of members in id order after $after, each with whether her search key is
// missing (app/store/search_queries.py, backfill_search_keys).
MATCH (m:Member)
WHERE m.id > $after
WITH m
ORDER BY m.id
LIMIT $limit
OPTIONAL MATCH (k:SearchKey {member_id: m.id})
RETURN m.id AS id, m.name AS name, k IS NULL AS missing
