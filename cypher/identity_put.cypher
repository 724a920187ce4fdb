// Records identity facts of members on each member herself, as parallel lists (key
// `kind:value`, kind, value, when first seen: her `at`, event time, and when written): a
// node per fact made every FalkorDB write slower as they grew in number (three facts a
// member at 1M members: orders 12 times slower, scripts/bench_node_growth.py). A fact she
// already has keeps its first stamps, so a retry changes nothing; her lock is taken before
// her facts are read, so two edits of one member add to each other. An erased member takes
// no personal data again. Each member at most once per call. Returns the ids written.
UNWIND $members AS one
MATCH (m:Member {id: one.member_id})
SET m.lock_ = true
WITH m, one
REMOVE m.lock_
WITH m, one
WHERE m.erased_at IS NULL
WITH m, [f IN one.facts WHERE NOT f.key IN coalesce(m.identity_keys, [])] AS new, one.at AS at
SET m.identity_keys = coalesce(m.identity_keys, []) + [f IN new | f.key],
    m.identity_kinds = coalesce(m.identity_kinds, []) + [f IN new | f.kind],
    m.identity_values = coalesce(m.identity_values, []) + [f IN new | f.value],
    m.identity_at = coalesce(m.identity_at, []) + [f IN new | at],
    m.identity_written_at = coalesce(m.identity_written_at, []) + [f IN new | $now]
RETURN collect(m.id) AS member_ids
