// One slot per job kind, write-locked by cypher/job_start.cypher while it looks for a live
// job: unique, so concurrent first starts of a kind MERGE one slot.
CREATE CONSTRAINT job_slot_kind_unique IF NOT EXISTS
FOR (s:JobSlot) REQUIRE s.kind IS UNIQUE
