// Abuse signals: identity facts by member (a fact is put and erased with her), the latest
// signal run by its fixed id, and signals by run.
CREATE INDEX FOR (f:IdentityFact) ON (f.member_id);
CREATE INDEX FOR (r:SignalRun) ON (r.id);
CREATE INDEX FOR (s:RiskSignal) ON (s.run_id)
