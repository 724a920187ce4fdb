CREATE INDEX FOR (j:Job) ON (j.id);
CREATE INDEX FOR (r:ConnectorRun) ON (r.key)
