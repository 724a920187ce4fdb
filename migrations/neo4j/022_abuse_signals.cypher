// Abuse signals: identity facts by member (a fact is put and erased with her), the latest
// signal run by its fixed id, and signals by run.
CREATE INDEX identity_fact_member IF NOT EXISTS
FOR (f:IdentityFact) ON (f.member_id);
CREATE CONSTRAINT signal_run_id_unique IF NOT EXISTS
FOR (r:SignalRun) REQUIRE r.id IS UNIQUE;
CREATE INDEX risk_signal_run IF NOT EXISTS
FOR (s:RiskSignal) ON (s.run_id)
