// Writes members' search keys (app/domain/search.py, search_key_fields): the one node per
// member that member search reads from its indexes, apart from the member so that the
// counter writes on her never re-index it.
UNWIND $keys AS key
MERGE (k:SearchKey {member_id: key.member_id})
SET k.id_key = key.id_key, k.name_key = key.name_key
