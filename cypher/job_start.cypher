// Creates a background job unless one of its kind is live (queued or running, its runner
// beating after $heartbeat_after), and returns the live one or the one created: concurrent
// starts of a kind give one run (jobs are few: no index).
// The kind's slot is written before the jobs are read. On Neo4j that takes the slot's write
// lock, so starts of one kind read one after the other, each seeing the job the one before
// it created (the unique constraint on JobSlot.kind makes the MERGE itself safe). FalkorDB
// takes the graph's write lock at a statement's first write and holds it to the end, so the
// reads below come after any other start has finished; but its MERGE reads before that
// lock, so two first starts of a kind may each create a slot: one row goes on.
MERGE (slot:JobSlot {kind: $job.kind})
SET slot.lock_ = true
REMOVE slot.lock_
WITH slot
LIMIT 1
OPTIONAL MATCH (live:Job)
WHERE live.kind = $job.kind AND live.status IN ['queued', 'running']
  AND live.heartbeat_at > $heartbeat_after
WITH live
ORDER BY live.heartbeat_at DESC
LIMIT 1
FOREACH (new IN CASE WHEN live IS NULL THEN [$job] ELSE [] END |
  CREATE (:Job {
    id: new.id, kind: new.kind, status: new.status, progress: new.progress,
    started_at: new.started_at, finished_at: new.finished_at, error: new.error,
    heartbeat_at: new.heartbeat_at
  }))
RETURN CASE WHEN live IS NULL THEN $job ELSE properties(live) END AS job
