// The latest run: when, whether sampled, what computed its betweenness ('gds' or 'igraph';
// 'networkx' in runs stored before igraph), how it was estimated and with what error, and
// its ranking per sort key (JSON of member ids, best first) that top-k reads serve from
// without sorting every member.
MERGE (r:ConnectorRun {key: 'latest'})
SET r.computed_at = $computed_at, r.approximate = $approximate, r.members = $members,
  r.rankings = $rankings, r.betweenness_source = $betweenness_source,
  r.estimator = $estimator, r.sources = $sources, r.error_bound = $error_bound
