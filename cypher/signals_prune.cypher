// Deletes up to $limit signals of runs other than $run_id (the one readers see, or a run
// still being written when $run_id names it): called until it deletes none.
MATCH (s:RiskSignal)
WHERE s.run_id <> $run_id
WITH s
LIMIT $limit
DETACH DELETE s
RETURN count(*) AS deleted
