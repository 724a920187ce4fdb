"""Connector jobs and reads over HTTP, on both backends: what is served checked against a
recomputation from the definitions, and one run however many starts race."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import networkx as nx  # type: ignore[import-untyped]
import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.domain.connectors import PART_NAMES, WEIGHTS
from app.services import connectors
from app.store.cypher_store import CypherStore
from tests.api.routes.test_members import assert_problem, register
from tests.conftest import auth, make_settings
from tests.services.test_analytics_properties import expected_scores
from tests.services.test_jobs import settled, stored_job_ids

ADMIN = auth("admin")


def finished_job(client: TestClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}", headers=auth("growth")).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def test_a_job_scores_the_network_and_the_top_is_served(client: TestClient) -> None:
    for member, inviter in (("a", None), ("b", "a"), ("c", "a"), ("d", None), ("e", "d")):
        register(client, member, inviter)
    client.post("/v1/groups", json={"id": "reading", "kind": "topic", "name": "R"}, headers=ADMIN)
    for member in ("c", "e"):
        client.put(f"/v1/groups/reading/members/{member}", headers=ADMIN)
    empty = client.get("/v1/connectors", headers=auth("growth")).json()
    assert empty == {
        "computed_at": None,
        "approximate": False,
        "betweenness_source": None,
        "estimator": None,
        "sources": None,
        "error_bound": None,
        "items": [],
    }
    started = client.post("/v1/jobs/connectors", headers=ADMIN)
    assert started.status_code == 202
    job = finished_job(client, started.json()["job_id"])
    assert (job["kind"], job["status"], job["progress"], job["error"]) == (
        "connectors",
        "succeeded",
        1.0,
        None,
    )
    assert job["finished_at"] >= job["started_at"]
    page = client.get("/v1/connectors", params={"sort": "betweenness", "limit": 2},
                      headers=auth("auditor")).json()  # fmt: skip
    assert [(i["member_id"], i["rank"]) for i in page["items"]] == [("c", 1), ("a", 2)]
    assert set(page["items"][0]["parts"]) == {
        "paid_direct_invites", "growth_30d", "growth_90d", "circles_reached", "betweenness",
        "rising",
    }  # fmt: skip
    circle = client.get("/v1/connectors", params={"circle": "reading"}, headers=ADMIN).json()
    assert sorted(i["member_id"] for i in circle["items"]) == ["c", "e"]


def test_bad_reads_are_422_unknown_jobs_404_and_roles_hold(client: TestClient) -> None:
    for params, where in (({"limit": 1001}, "query.limit"), ({"sort": "fame"}, "query.sort")):
        assert_problem(client.get("/v1/connectors", params=params, headers=ADMIN), 422, where)
    assert_problem(client.get("/v1/jobs/nope", headers=ADMIN), 404, "job nope does not exist")
    for role in ("storefront", "auditor"):  # admin and growth may start runs
        assert client.post("/v1/jobs/connectors", headers=auth(role)).status_code == 403
    assert client.get("/v1/connectors", headers=auth("storefront")).status_code == 403
    assert client.get("/v1/jobs/nope", headers=auth("auditor")).status_code == 403
    assert client.get("/v1/connectors").status_code == 401


# --- served values against a recomputation from the definitions -----------------------------

NOW = 1_767_225_600_000  # 2026-01-01T00:00Z: the API's clock in the tests below
DAYS = 86_400_000
# Who invited whom, when each joined (days before NOW), who is paid, and the circles. Joins
# sit on both sides of the 30- and 90-day edges; a's paid invites put her 3 of the 5 a
# butterfly needs (the default ladder), b's 1.
NETWORK = {  # member: (inviter, days before NOW)
    "a": (None, 200), "b": ("a", 100), "c": ("a", 60), "d": ("a", 10),
    "e": ("b", 29), "f": ("b", 30), "g": ("c", 0), "h": (None, 200), "i": ("h", 90),
    "j": ("h", 89), "k": ("i", 5),
}  # fmt: skip
PAID = ("b", "c", "d", "e", "k")
CIRCLES = {"reading": ("e", "i", "k"), "english": ("g", "a"), "parenting": ("f", "j")}
# The default ladder's next tier for everyone here (nobody has 5 paid invites): butterfly.
NEXT_THRESHOLD = 5


def downline(member: str) -> list[str]:
    below = [m for m, (inviter, _) in NETWORK.items() if inviter == member]
    return below + [d for m in below for d in downline(m)]


def joined_at(member: str) -> int:
    return NOW - NETWORK[member][1] * DAYS


def expected_betweenness() -> dict[str, float]:
    """For each member, her share of the pairs of other members whose shortest paths (through
    invitations and circles, circles never endpoints) pass through her, counted path by path."""
    graph = nx.Graph()
    graph.add_nodes_from(NETWORK)
    graph.add_edges_from((m, inviter) for m, (inviter, _) in NETWORK.items() if inviter)
    graph.add_edges_from((m, f"circle:{c}") for c, members in CIRCLES.items() for m in members)
    through = dict.fromkeys(NETWORK, 0.0)
    for s, t in itertools.combinations(NETWORK, 2):
        if not nx.has_path(graph, s, t):
            continue
        paths = list(nx.all_shortest_paths(graph, s, t))
        for member in NETWORK:
            if member not in (s, t):
                through[member] += sum(member in path for path in paths) / len(paths)
    n = len(NETWORK)
    return {member: value / ((n - 1) * (n - 2) / 2) for member, value in through.items()}


def expected_parts() -> dict[str, dict[str, float]]:
    """Every part as README and app/domain/connectors.py define it, from NETWORK alone."""
    betweenness = expected_betweenness()
    parts = {}
    for member in NETWORK:
        below = downline(member)
        paid = sum(1 for m in below if NETWORK[m][0] == member and m in PAID)
        recent = sum(1 for m in below if NOW - 30 * DAYS < joined_at(m) <= NOW)
        quarter = sum(1 for m in below if NOW - 90 * DAYS < joined_at(m) <= NOW)
        reached = {c for c, members in CIRCLES.items() if set(members) & set(below)}
        own = {c for c, members in CIRCLES.items() if member in members}
        acceleration = min(recent / max(quarter / 3, 1), 2) / 2
        parts[member] = {
            "paid_direct_invites": paid, "growth_30d": recent, "growth_90d": quarter,
            "circles_reached": len(reached - own), "betweenness": betweenness[member],
            "rising": paid / NEXT_THRESHOLD * acceleration,
        }  # fmt: skip
    return parts


@pytest.fixture
def scored(client: TestClient, clock: Callable[[int], None]) -> TestClient:
    """NETWORK stored through the API and a connector run finished at NOW."""
    clock(NOW)
    for member, (inviter, _) in NETWORK.items():
        assert register(client, member, inviter, joined_at=joined_at(member)).status_code == 201
    for member in PAID:
        mark = {"paid_at": joined_at(member)}
        marked = client.post(f"/v1/members/{member}/paid", json=mark, headers=ADMIN)
        assert marked.status_code == 200, marked.text
    for circle, members in CIRCLES.items():
        body = {"id": circle, "kind": "topic", "name": circle}
        assert client.post("/v1/groups", json=body, headers=ADMIN).status_code == 201
        for member in members:
            added = client.put(f"/v1/groups/{circle}/members/{member}", headers=ADMIN)
            assert added.status_code == 201
    started = client.post("/v1/jobs/connectors", headers=ADMIN)
    assert finished_job(client, started.json()["job_id"])["status"] == "succeeded"
    return client


def served(client: TestClient, **params: object) -> list[dict[str, Any]]:
    page = client.get("/v1/connectors", params={"limit": 1000, **params}, headers=auth("growth"))
    assert page.status_code == 200, page.text
    assert page.json()["computed_at"] == NOW
    items: list[dict[str, Any]] = page.json()["items"]
    assert [item["rank"] for item in items] == list(range(1, len(items) + 1))
    return items


def test_every_served_score_and_part_is_the_definitions(scored: TestClient) -> None:
    parts = expected_parts()
    scores = expected_scores(parts)
    items = served(scored)
    assert {item["member_id"] for item in items} == set(NETWORK)
    for item in items:
        assert item["parts"] == pytest.approx(parts[item["member_id"]], rel=1e-9, abs=1e-12)
        assert item["score"] == pytest.approx(scores[item["member_id"]], rel=1e-9)
    # Best first, ties by member id: the order of the recomputed scores.
    assert [i["member_id"] for i in items] == sorted(NETWORK, key=lambda m: (-scores[m], m))
    # The network was built to exercise every part: none is zero for everyone.
    assert all(any(p[name] for p in parts.values()) for name in WEIGHTS)


@pytest.mark.parametrize("part", list(PART_NAMES))
def test_sorting_by_a_part_ranks_by_that_part(scored: TestClient, part: str) -> None:
    parts = expected_parts()
    order = sorted(NETWORK, key=lambda m: (-parts[m][part], m))
    assert [item["member_id"] for item in served(scored, sort=part)] == order
    assert [item["member_id"] for item in served(scored, sort=part, limit=3)] == order[:3]


@pytest.mark.parametrize("circle", sorted(CIRCLES))
def test_the_circle_filter_ranks_its_members_by_score(scored: TestClient, circle: str) -> None:
    scores = expected_scores(expected_parts())
    items = served(scored, circle=circle)
    assert [item["member_id"] for item in items] == sorted(
        CIRCLES[circle], key=lambda m: (-scores[m], m)
    )
    assert [item["score"] for item in items] == pytest.approx(
        [scores[item["member_id"]] for item in items], rel=1e-9
    )
    assert served(scored, circle="nobody-reads-this") == []


def test_eight_concurrent_starts_give_one_run(
    client: TestClient, store: CypherStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()

    def held_run(**_: object) -> None:
        assert gate.wait(30)

    def start(barrier: threading.Barrier) -> Any:
        barrier.wait()
        return client.post("/v1/jobs/connectors", headers=ADMIN)

    monkeypatch.setattr(connectors, "run_connectors", held_run)
    runs: list[str] = []
    for _ in range(3):  # a race is won by chance: three of them, one run at a time
        gate.clear()
        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(start, [threading.Barrier(8)] * 8))
        assert [r.status_code for r in responses] == [202] * 8
        [job_id] = {r.json()["job_id"] for r in responses}
        runs.append(job_id)
        assert stored_job_ids(store, "connectors") == sorted(runs)
        gate.set()
        assert finished_job(client, job_id)["status"] == "succeeded"


def test_the_server_runs_connectors_on_its_schedule(store: CypherStore) -> None:
    settings = make_settings(connectors_every=0.2)
    with TestClient(create_app(settings, store=store)) as scheduled:
        for member_id, inviter in (("a", None), ("b", "a"), ("c", "b")):
            body = {"id": member_id, "inviter_id": inviter}
            assert scheduled.post("/v1/members", json=body, headers=ADMIN).status_code == 201
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            page = scheduled.get("/v1/connectors", headers=ADMIN)
            if page.status_code == 200 and len(page.json()["items"]) == 3:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"no scheduled run scored the members: {page.text}")
    # The schedule stopped with the server; the last run it started ends before the store.
    for job_id in stored_job_ids(store, "connectors"):
        assert settled(store, job_id).status == "succeeded"
