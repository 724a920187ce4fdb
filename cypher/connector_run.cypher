MATCH (r:ConnectorRun {key: 'latest'})
RETURN r.computed_at AS computed_at, r.approximate AS approximate, r.rankings AS rankings,
  coalesce(r.members, 0) AS members, r.betweenness_source AS betweenness_source,
  r.estimator AS estimator, r.sources AS sources, r.error_bound AS error_bound
