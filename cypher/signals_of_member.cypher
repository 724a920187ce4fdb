// The latest run's signals naming a member, strongest first.
MATCH (run:SignalRun {id: 'latest'})
MATCH (:Member {id: $member_id})<-[:FLAGS]-(s:RiskSignal)
WHERE s.run_id = run.run_id
RETURN s.id AS id, s.kind AS kind, s.score_bp AS score_bp, s.member_ids AS member_ids,
       s.summary AS summary, s.evidence_json AS evidence_json, s.at AS at
ORDER BY score_bp DESC, id
