// Makes a run the one every reader sees: its signals are all written.
MERGE (r:SignalRun {id: 'latest'})
SET r.run_id = $run_id, r.computed_at = $computed_at, r.signals = $signals,
    r.kinds = $kinds, r.counts = $counts
RETURN r.run_id AS run_id
