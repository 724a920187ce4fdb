"""Connector jobs and reads over HTTP, on both backends."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from tests.api.routes.test_members import assert_problem, register
from tests.conftest import auth

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
    assert client.post("/v1/jobs/connectors", headers=auth("growth")).status_code == 403
    assert client.get("/v1/connectors", headers=auth("storefront")).status_code == 403
    assert client.get("/v1/jobs/nope", headers=auth("auditor")).status_code == 403
    assert client.get("/v1/connectors").status_code == 401
