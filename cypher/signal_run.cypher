// The run readers see: its id, when it computed, and its signals counted by kind (two lists).
MATCH (r:SignalRun {id: 'latest'})
RETURN r.run_id AS run_id, r.computed_at AS computed_at, r.signals AS signals,
       r.kinds AS kinds, r.counts AS counts
