// Stores a plan version unless its version or its effective_from is taken, or an order
// already ingested was placed at or after effective_from (no retroactive re-pricing).
OPTIONAL MATCH (taken:Plan)
WHERE taken.version = $version OR taken.effective_from = $effective_from
WITH count(taken) AS taken
OPTIONAL MATCH (later:Order)
WHERE later.placed_at >= $effective_from
WITH taken, count(later) AS later
WHERE taken = 0 AND later = 0
CREATE (p:Plan {
  version: $version, effective_from: $effective_from, currency: $currency,
  document: $document, loaded_at: $loaded_at
})
RETURN p.version AS version
