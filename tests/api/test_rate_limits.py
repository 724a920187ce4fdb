"""Rate limits per API key and route class (REFGRAPH_RATE_LIMITS), on both backends: past a
bucket, 429 problem+json with Retry-After, before the body is read and before anything is
written."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from app.api.main import create_app
from app.api.problems import PROBLEM_JSON
from app.core.config import Settings
from app.domain.rate_limits import RateLimits, parse_rate_limits
from app.store.cypher_store import CypherStore
from tests.conftest import ROLE_KEYS, auth, make_settings

LIMITS = "reads=2/3,writes=1/2,jobs=0.5/1"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings() -> Settings:
    return make_settings(rate_limits=RateLimits.model_validate(parse_rate_limits(LIMITS)))


@pytest.fixture
def clock(client: TestClient) -> Iterator[Clock]:
    clock = Clock()
    client.app.state.rate_limiter.clock = clock  # type: ignore[attr-defined]
    yield clock


def register(client: TestClient, member_id: str, role: str = "admin") -> Response:
    answer: Response = client.post(
        "/v1/members", json={"id": member_id, "joined_at": 0}, headers=auth(role)
    )
    return answer


def assert_limited(response: Response, kind: str, retry_after: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["retry-after"] == str(retry_after)
    assert response.headers["cache-control"] == "no-store"
    problem = response.json()
    assert problem["title"] == "Too many requests"
    assert problem["route_class"] == kind and problem["retry_after_s"] == retry_after
    assert f"rate limit for {kind}" in problem["detail"]
    assert "REFGRAPH_RATE_LIMITS" in problem["detail"]
    assert problem["request_id"] == response.headers["x-request-id"]
    for key in ROLE_KEYS.values():
        assert key not in response.text


def test_a_burst_past_the_limit_is_refused_until_the_bucket_refills(
    client: TestClient, clock: Clock
) -> None:
    assert register(client, "root").status_code == 201
    read = "/v1/members/root/tier"
    assert [client.get(read, headers=auth("storefront")).status_code for _ in range(3)] == [200] * 3
    refused = client.get(read, headers=auth("storefront"))
    assert_limited(refused, "reads", 1)
    assert "2 requests a second (burst 3)" in refused.json()["detail"]
    clock.now += 0.4  # 0.8 of a token: still refused
    assert client.get(read, headers=auth("storefront")).status_code == 429
    clock.now += 0.1
    assert client.get(read, headers=auth("storefront")).status_code == 200
    assert client.get(read, headers=auth("storefront")).status_code == 429
    clock.now += 60  # a full bucket again, and no more than that
    assert [client.get(read, headers=auth("storefront")).status_code for _ in range(4)] == [
        200,
        200,
        200,
        429,
    ]


def test_a_slow_class_says_how_long_to_wait(client: TestClient, clock: Clock) -> None:
    started = client.post("/v1/jobs/connectors", headers=auth("growth"))
    assert started.status_code == 202
    assert_limited(client.post("/v1/jobs/connectors", headers=auth("growth")), "jobs", 2)
    clock.now += 1.5
    assert_limited(client.post("/v1/jobs/connectors", headers=auth("growth")), "jobs", 1)
    # Following the job is a read, not a job start.
    job = client.get(f"/v1/jobs/{started.json()['job_id']}", headers=auth("growth"))
    assert job.status_code == 200
    clock.now += 0.5
    again = client.post("/v1/jobs/connectors", headers=auth("growth"))
    assert again.status_code == 202
    for job_id in (started.json()["job_id"], again.json()["job_id"]):
        finished(client, clock, job_id)


def finished(client: TestClient, clock: Clock, job_id: str) -> None:
    """Waits for a connector run: one still going when the store closes would fail."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        clock.now += 1  # a read's token for each look
        job = client.get(f"/v1/jobs/{job_id}", headers=auth("growth")).json()
        if job["status"] in ("succeeded", "failed"):
            return
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def test_each_key_has_its_own_buckets(client: TestClient, clock: Clock) -> None:
    assert register(client, "a").status_code == 201
    assert register(client, "b").status_code == 201
    assert_limited(register(client, "c"), "writes", 1)
    # Another key (another role) still has its whole burst.
    assert register(client, "c", role="storefront").status_code == 201
    assert register(client, "d", role="storefront").status_code == 201
    assert_limited(register(client, "e", role="storefront"), "writes", 1)


def test_reads_spent_do_not_block_writes(client: TestClient, clock: Clock) -> None:
    for _ in range(3):
        assert client.get("/v1/members", headers=auth("admin")).status_code == 200
    assert client.get("/v1/members", headers=auth("admin")).status_code == 429
    assert register(client, "w").status_code == 201
    assert client.get("/v1/members/w", headers=auth("admin")).status_code == 429
    clock.now += 0.5
    assert client.get("/v1/members/w", headers=auth("admin")).status_code == 200


def test_a_refused_write_changes_nothing(client: TestClient, clock: Clock) -> None:
    assert register(client, "one").status_code == 201
    assert register(client, "two").status_code == 201
    refused = register(client, "three")
    assert_limited(refused, "writes", 1)
    clock.now += 10
    assert client.get("/v1/members/three", headers=auth("admin")).status_code == 404
    listed = client.get("/v1/members", headers=auth("admin")).json()
    assert [member["id"] for member in listed["items"]] == ["one", "two"]
    # The same registration once the bucket has a token: created now, not before.
    assert register(client, "three").status_code == 201


def test_requests_without_a_valid_key_take_nothing(client: TestClient, clock: Clock) -> None:
    for _ in range(10):
        assert client.get("/v1/members").status_code == 401
        wrong = {"Authorization": "Bearer not-a-key"}
        assert client.get("/v1/members", headers=wrong).status_code == 401
        assert client.post("/v1/members", json={"id": "x"}, headers=wrong).status_code == 401
        # A key in the query string is refused (400) before its bucket is looked at.
        leaked = f"/v1/members?api_key={ROLE_KEYS['admin']}"
        assert client.get(leaked, headers=auth("admin")).status_code == 400
    assert [client.get("/v1/members", headers=auth("admin")).status_code for _ in range(4)] == [
        200,
        200,
        200,
        429,
    ]


def test_the_refusal_comes_before_the_body_is_read(client: TestClient, clock: Clock) -> None:
    assert register(client, "p").status_code == 201
    assert register(client, "q").status_code == 201
    # Past the body limit too: the 429 is answered without reading it (413 otherwise).
    huge = b"x" * (2 * 1_048_576)
    refused = client.post(
        "/v1/members",
        content=huge,
        headers={**auth("admin"), "Content-Type": "application/json"},
    )
    assert_limited(refused, "writes", 1)


def test_health_metrics_and_pages_are_not_limited(client: TestClient, clock: Clock) -> None:
    for _ in range(10):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert client.get("/metrics", headers=auth("admin")).status_code == 200
    assert [client.get("/ui/context", headers=auth("auditor")).status_code for _ in range(4)] == [
        200,
        200,
        200,
        429,
    ]
    metrics = client.get("/metrics", headers=auth("admin")).text
    assert 'refgraph_rate_limited_total{route_class="reads"}' in metrics


def test_a_role_may_have_its_own_limits(store: CypherStore) -> None:
    limits = parse_rate_limits("reads=1/1,storefront.reads=0")
    settings = make_settings(rate_limits=RateLimits.model_validate(limits))
    with TestClient(create_app(settings, store=store)) as client:
        client.app.state.rate_limiter.clock = Clock()  # type: ignore[attr-defined]
        codes = [client.get("/v1/members", headers=auth("storefront")).status_code]
        codes += [client.get("/v1/members", headers=auth("storefront")).status_code]
        assert codes == [200, 200]  # unlimited for the storefront
        assert client.get("/v1/members", headers=auth("auditor")).status_code == 200
        assert client.get("/v1/members", headers=auth("auditor")).status_code == 429


def test_the_openapi_document_names_429_with_retry_after(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    tier = document["paths"]["/v1/members/{member_id}/tier"]["get"]["responses"]
    assert "Retry-After" in tier["429"]["headers"]
    assert "429" not in document["paths"]["/healthz"]["get"]["responses"]
    assert "429" not in document["paths"]["/metrics"]["get"]["responses"]
