// Member search (GET /v1/members?q=): one (:SearchKey) per member, its name and id keys
// indexed for prefix ranges, its member id for the key's upkeep. On a node of their own:
// FalkorDB re-indexes a member on every counter write, and these would add to each.
CREATE INDEX FOR (k:SearchKey) ON (k.member_id, k.name_key, k.id_key)
