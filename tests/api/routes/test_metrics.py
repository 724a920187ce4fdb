"""GET /metrics scraped as Prometheus scrapes it, on both backends: requests by route
template and status, store queries by name and backend, group-commit batches, the
releaser's and the webhook worker's backlogs, the engine's state; the admin's key on the API
port, no key on the metrics port (127.0.0.1 only). And the request id every answer carries."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.api.main import create_app
from app.domain.webhooks import RetrySchedule, WorkerSettings
from app.services.webhook_delivery import WebhookWorker
from app.store.cypher_store import CypherStore
from tests.api.routes.test_members import assert_problem, register
from tests.api.routes.test_payouts import DAY, JAN, PLAN, buy
from tests.conftest import auth, make_settings
from tests.test_cli import free_port

ADMIN = auth("admin")


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return samples(answer.text)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
          **labels: str) -> float:  # fmt: skip
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_queries_batches_and_backlogs_are_counted(
    client: TestClient, store: CypherStore, clock: Callable[[int], None]
) -> None:
    route = "/v1/members/{member_id}"
    before = scrape(client)
    for member in ("ann", "bea"):
        assert register(client, member).status_code == 201
    assert client.get("/v1/members/ann", headers=ADMIN).status_code == 200
    assert client.get("/v1/members/nobody", headers=ADMIN).status_code == 404
    assert client.get("/v1/members/ann").status_code == 401
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("refgraph_http_requests_total", method="GET", route=route, status="200") == 1
    assert grew("refgraph_http_requests_total", method="GET", route=route, status="404") == 1
    assert grew("refgraph_http_requests_total", method="POST", route="/v1/members",
                status="201") == 2  # fmt: skip
    # Refused by the guard before any route: counted, under no path of the caller's.
    assert grew("refgraph_http_requests_total", method="GET", route="unmatched",
                status="401") == 1  # fmt: skip
    assert grew("refgraph_http_request_seconds_count", method="GET", route=route) == 2
    backend = store.backend.value
    assert grew("refgraph_store_query_seconds_count", query="get_members", backend=backend) >= 2
    assert grew("refgraph_group_commit_rows_count", kind="refgraph-registrations") >= 1
    assert grew("refgraph_group_commit_rows_sum", kind="refgraph-registrations") == 2
    assert value(after, "refgraph_engine_up") == 1.0

    # Two orders written while their 7-day holds ran (the API's clock on Jan 3), held: by
    # the real clock, months later, their 2 entries each are due for release.
    assert client.put("/v1/plans/payouts-1", json=PLAN, headers=ADMIN).status_code == 201
    assert register(client, "cat", "ann").status_code == 201
    clock(JAN + 2 * DAY)
    buy(client, "o1", "cat", 10_000, JAN + DAY)
    buy(client, "o2", "cat", 10_000, JAN + DAY)
    scraped = scrape(client)
    assert value(scraped, "refgraph_release_due_entries") == 4
    # ann's, bea's and cat's registrations and the 4 entries' creations wait for the worker
    # (held, so no release events yet).
    assert value(scraped, "refgraph_webhook_new_events") == 3 + 4


def test_the_webhook_backlog_is_counted(client: TestClient, store: CypherStore) -> None:
    hook = {"id": "h", "url": "http://127.0.0.1:9/never", "events": ["member.registered"]}
    assert client.post("/v1/webhooks", json=hook, headers=ADMIN).status_code == 201
    assert register(client, "ann").status_code == 201
    never = WorkerSettings(
        schedule=RetrySchedule(base_ms=1, cap_ms=1, give_up_after_ms=0),
        timeout_s=1, settle_ms=0, concurrency=1,
    )  # fmt: skip
    worker = WebhookWorker(store, never)
    try:
        worker.dispatch()
        assert value(scrape(client), "refgraph_webhook_pending_deliveries") == 1
        worker.deliver()  # nothing listens on port 9: given up at once
    finally:
        worker.close()
    scraped = scrape(client)
    assert value(scraped, "refgraph_webhook_pending_deliveries") == 0
    assert value(scraped, "refgraph_webhook_failed_deliveries") == 1


def test_only_the_admin_scrapes_on_the_api_port(client: TestClient) -> None:
    assert_problem(client.get("/metrics"), 401, "")
    assert_problem(client.get("/metrics", headers=auth("growth")), 403, "")


def test_the_metrics_port_answers_without_a_key_on_127_0_0_1_only(store: CypherStore) -> None:
    port = free_port()
    with TestClient(create_app(make_settings(metrics_port=port), store=store)) as client:
        assert register(client, "ann").status_code == 201
        answer = httpx.get(f"http://127.0.0.1:{port}/metrics")
        assert answer.status_code == 200
        assert value(samples(answer.text), "refgraph_http_requests_total", method="POST",
                     route="/v1/members", status="201") >= 1  # fmt: skip
    # Stopped with the service.
    try:
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
        raise AssertionError("the metrics port still answers after the service stopped")
    except httpx.TransportError:
        pass


def test_every_answer_carries_a_request_id_and_problems_quote_it(client: TestClient) -> None:
    fresh = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["x-request-id"])
    mine = client.get("/v1/members/nobody", headers={**ADMIN, "X-Request-ID": "lb-7f3a.2"})
    assert mine.headers["x-request-id"] == "lb-7f3a.2"
    assert mine.json()["request_id"] == "lb-7f3a.2"
    # An id a client could use to forge log lines is replaced, not echoed.
    forged = client.get("/v1/members/x", headers={"X-Request-ID": 'a" level=error ' + "x" * 80})
    assert forged.status_code == 401
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["x-request-id"])
    assert forged.json()["request_id"] == forged.headers["x-request-id"]
