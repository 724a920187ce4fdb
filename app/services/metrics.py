"""The gauges read at each scrape of /metrics (app/core/metrics.py holds the counters and
histograms the code updates as it goes)."""

from __future__ import annotations

from app.store.port import GraphStore


def backlog_gauges(*, store: GraphStore, now: int) -> list[tuple[str, str, float]]:
    """What waits for the releaser and the webhook worker, and that the store answers (a
    failed read reports it down: app/core/metrics.py ScrapeGauges)."""
    backlog = store.operations_backlog(now)
    return [
        ("refgraph_engine_up", "Whether the graph store answers", 1.0),
        ("refgraph_release_due_entries", "Held entries whose hold has passed",
         backlog.due_releases),
        ("refgraph_webhook_new_events", "Outbox events not yet dispatched", backlog.new_events),
        ("refgraph_webhook_pending_deliveries", "Deliveries waiting to be sent or retried",
         backlog.pending_deliveries),
        ("refgraph_webhook_failed_deliveries", "Deliveries given up", backlog.failed_deliveries),
    ]  # fmt: skip
