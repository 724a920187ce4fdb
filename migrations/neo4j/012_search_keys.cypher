// Member search (GET /v1/members?q=): one (:SearchKey) per member, its name and id keys
// indexed for prefix ranges, its member id unique (the key's upkeep merges on it).
CREATE CONSTRAINT search_key_member_unique IF NOT EXISTS
FOR (k:SearchKey) REQUIRE k.member_id IS UNIQUE;
CREATE INDEX search_key_name IF NOT EXISTS
FOR (k:SearchKey) ON (k.name_key);
CREATE INDEX search_key_id IF NOT EXISTS
FOR (k:SearchKey) ON (k.id_key)
