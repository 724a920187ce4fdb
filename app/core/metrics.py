"""What the service counts and times, for Prometheus (`GET /metrics`): the metric objects,
in one registry of ours (not the client library's global one, so a test's app and the
service's never mix theirs), and the gauges read at each scrape (backlogs, engine state).
Labels are templates and names, never an id or a path: their number stays bounded."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)
# From the storefront's sub-millisecond tier read to a 10 s report.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

HTTP_REQUESTS = Counter(
    "refgraph_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "refgraph_http_request_seconds",
    "Time to answer an HTTP request, by method and route template",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "refgraph_rate_limited",
    "Requests refused by a rate limit (429), by route class",
    ["route_class"],
    registry=REGISTRY,
)
QUERY_SECONDS = Histogram(
    "refgraph_store_query_seconds",
    "Time of one named query on the graph store, by query and backend",
    ["query", "backend"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
GROUP_COMMIT_ROWS = Histogram(
    "refgraph_group_commit_rows",
    "Writes joined into one statement by group commit, by kind",
    ["kind"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
    registry=REGISTRY,
)
JOB_RUNS = Counter(
    "refgraph_job_runs",
    "Background job runs finished, by kind and status",
    ["kind", "status"],
    registry=REGISTRY,
)
JOB_SECONDS = Histogram(
    "refgraph_job_seconds",
    "Time of a background job run, by kind",
    ["kind"],
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
    registry=REGISTRY,
)


@contextmanager
def timed_query(name: str, backend: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        QUERY_SECONDS.labels(name, backend).observe(time.perf_counter() - started)


class ScrapeGauges(Collector):
    """Gauges computed when scraped: `read()` answers (name, help, value) triples. A read
    that fails (the engine is down) answers only the engine's state, 0."""

    def __init__(self, read: Callable[[], list[tuple[str, str, float]]]) -> None:
        self._read = read

    def collect(self) -> Iterable[GaugeMetricFamily]:
        try:
            values = self._read()
        except Exception:
            values = [("refgraph_engine_up", "Whether the graph store answers", 0.0)]
        for name, help_text, value in values:
            yield GaugeMetricFamily(name, help_text, value=value)

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return []
