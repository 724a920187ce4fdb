// One page of the latest run's signals, strongest first then by id, after the position
// ($after_score, $after_id; null: from the start), of one kind or all ($kind null), whose
// evidence is at or after $since.
MATCH (run:SignalRun {id: 'latest'})
MATCH (s:RiskSignal)
WHERE s.run_id = run.run_id AND ($kind IS NULL OR s.kind = $kind) AND s.at >= $since
  AND ($after_score IS NULL OR s.score_bp < $after_score
       OR (s.score_bp = $after_score AND s.id > $after_id))
RETURN s.id AS id, s.kind AS kind, s.score_bp AS score_bp, s.member_ids AS member_ids,
       s.summary AS summary, s.evidence_json AS evidence_json, s.at AS at
ORDER BY score_bp DESC, id
LIMIT $limit
