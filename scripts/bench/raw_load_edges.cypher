// Benchmark baseline: the invitation edges of the bare load.
UNWIND $rows AS row
MATCH (m:RawMember {id: row.id})
MATCH (i:RawMember {id: row.inviter_id})
CREATE (m)-[:RAW_INVITED_BY]->(i)
