"""The tier what-if over HTTP, on both backends: roles, bad input, and nothing written."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.routes.test_members import assert_problem, register
from tests.conftest import auth

LADDER = [
    {"tier": "bee", "min_paid_invites": 0},
    {"tier": "butterfly", "min_paid_invites": 1},
    {"tier": "peacock", "min_paid_invites": 20},
    {"tier": "phoenix", "min_paid_invites": 40},
]
BODY = {"ladder": LADDER, "period": {"from": 0, "to": 10_000}}


def test_growth_simulates_and_nothing_is_written(client: TestClient) -> None:
    register(client, "root")
    register(client, "kid", "root")
    paid = client.post("/v1/members/kid/paid", json={"paid_at": 2000}, headers=auth("admin"))
    assert paid.status_code == 200, paid.text
    assert (paid.json()["id"], paid.json()["paid_at"]) == ("kid", 2000)
    answer = client.post("/v1/simulations/tiers", json=BODY, headers=auth("growth"))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "current": {"bee": 2, "butterfly": 0, "peacock": 0, "phoenix": 0},
        "proposed": {"bee": 1, "butterfly": 1, "peacock": 0, "phoenix": 0},
        "moves": [{"from": "bee", "to": "butterfly", "count": 1, "sample": ["root"]}],
        "allowance_cost": {"current": 0, "proposed": 0, "delta": 0},
    }
    tier = client.get("/v1/members/root/tier", headers=auth("admin")).json()["tier"]
    assert tier == "bee"


def test_bad_proposals_are_422_and_other_roles_403(client: TestClient) -> None:
    backwards = {**BODY, "period": {"from": 5, "to": 5}}
    assert_problem(
        client.post("/v1/simulations/tiers", json=backwards, headers=auth("admin")),
        422,
        "body.period",
    )
    missing = {**BODY, "ladder": LADDER[:2]}
    assert_problem(
        client.post("/v1/simulations/tiers", json=missing, headers=auth("admin")),
        422,
        "must name every tier",
    )
    for role in ("storefront", "auditor"):
        answer = client.post("/v1/simulations/tiers", json=BODY, headers=auth(role))
        assert answer.status_code == 403
