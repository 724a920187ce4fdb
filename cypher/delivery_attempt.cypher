// Records one attempt of a delivery (its answer, kept in the log's last $kept) and what
// follows: delivered, failed for good, or pending until $next_at. Only if the delivery is
// still pending at the attempt count the worker read: a second worker's answer to the same
// attempt changes nothing. No row otherwise.
MATCH (d:Delivery {id: $id})
WHERE d.state = 'pending' AND d.attempts = $attempts
SET d.attempts = d.attempts + 1,
  d.state = $state,
  d.next_attempt_at = $next_at,
  d.delivered_at = CASE WHEN $state = 'delivered' THEN $attempt.at END,
  d.log_at = (coalesce(d.log_at, []) + [$attempt.at])[-$kept..],
  d.log_status = (coalesce(d.log_status, []) + [coalesce($attempt.status_code, 0)])[-$kept..],
  d.log_error = (coalesce(d.log_error, []) + [coalesce($attempt.error, '')])[-$kept..],
  d.log_ms = (coalesce(d.log_ms, []) + [$attempt.duration_ms])[-$kept..]
RETURN d.id AS id
