// Creates or updates a background job's state.
MERGE (j:Job {id: $job.id})
SET j.kind = $job.kind, j.status = $job.status, j.progress = $job.progress,
  j.started_at = $job.started_at, j.finished_at = $job.finished_at, j.error = $job.error,
  j.heartbeat_at = $job.heartbeat_at
