// Writes a batch of one run's signals, each linked to the members it names (a member gone
// since the run read her is left out of the links, not of the signal). Readers see a run
// only once signal_run_put names it.
UNWIND $signals AS s
CREATE (r:RiskSignal {
  id: s.id, run_id: $run_id, kind: s.kind, score_bp: s.score_bp, member_ids: s.member_ids,
  summary: s.summary, evidence_json: s.evidence_json, at: s.at, computed_at: $computed_at
})
WITH r
UNWIND r.member_ids AS member_id
MATCH (m:Member {id: member_id})
CREATE (r)-[:FLAGS]->(m)
RETURN count(*) AS links
