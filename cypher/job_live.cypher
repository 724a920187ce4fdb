// The newest unfinished job of a kind whose runner is still beating (jobs are few: no index).
MATCH (j:Job)
WHERE j.kind = $kind AND j.status IN ['queued', 'running'] AND j.heartbeat_at > $heartbeat_after
RETURN properties(j) AS job
ORDER BY j.heartbeat_at DESC
LIMIT 1
