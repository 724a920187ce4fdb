MATCH (r:ConnectorRun {key: 'latest'})
RETURN r.computed_at AS computed_at, r.approximate AS approximate, r.rankings AS rankings
