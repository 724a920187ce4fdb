// Benchmark baseline: the same rows loaded bare, no counters, no checks.
UNWIND $rows AS row
CREATE (:RawMember {id: row.id, inviter_id: row.inviter_id, name: row.name,
                    joined_at: row.joined_at, paid_at: row.paid_at})
