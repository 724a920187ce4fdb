"""Every role against every route: who may, who gets 403, and 401 without a valid key."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient

from app.domain.webhooks import RetrySchedule, WorkerSettings
from app.services.webhook_delivery import WebhookWorker
from tests.conftest import ROLE_KEYS, auth

# Dispatch only (no round sends here): events settle at once.
NO_SENDING = WorkerSettings(
    schedule=RetrySchedule(base_ms=1000, cap_ms=1000, give_up_after_ms=0),
    timeout_s=1,
    settle_ms=0,
    concurrency=1,
)

PLAN = {"version": "p1", "effective_from": 0, "currency": "CNY", "max_levels": 1,
        "rate_ceiling_bp": 500, "rules": [{"kind": "self_rebate", "rate_bp": 500}],
        "points": {"earn": {"points": 1, "per": 100}, "grants": {"bind_phone": 200},
                   "redemption": {"points": 100, "value": 100}}}  # fmt: skip
ORDER = {"id": "o1", "buyer_id": "kid", "amount": 1000, "currency": "CNY",
         "placed_at": 4_000_000_000_000}  # fmt: skip
REFUND = {"id": "r1", "amount": 10, "refunded_at": 4_000_000_000_001}
SUPER = {"id": "s1", "starts_at": 4_000_000_000_000, "expires_at": 4_031_536_000_000,
         "amount": 19_900, "currency": "CNY"}  # fmt: skip
WHAT_IF = {
    "ladder": [
        {"tier": tier, "min_paid_invites": k}
        for k, tier in enumerate(("bee", "butterfly", "peacock", "phoenix"))
    ],
    "period": {"from": 0, "to": 5 * 10**12},
}
GRANT = {"action": "bind_phone", "id": "g1"}  # 200 points now, so the redemption has some
REDEMPTION = {"id": "x1", "points": 100, "for": "1-yuan voucher"}
GROUP = {"id": "reading", "kind": "topic", "name": "Reading"}
STATUS = {"change_id": "s1", "status": "inactive", "reason": "left"}
PAYOUT = {"currency": "CNY", "minimum": 1}
MOVE = {"change_id": "mv1", "inviter_id": "root", "reason": "wrong link"}
JOB = "{job}"  # the connector run the network fixture started
CODE = "{code}"  # root's referral code, issued by the network fixture
EVENT = "{event}"  # root's registration, dispatched to the fixture's endpoint
HOOK = {"id": "hook2", "url": "https://crm.example.com/hooks", "events": ["member.paid"]}
# (method, path, body, roles allowed)
ROUTES = [
    ("POST", "/v1/members", {"id": "new", "inviter_id": "root"}, {"admin", "storefront"}),
    ("POST", "/v1/members/kid/paid", {}, {"admin", "storefront"}),
    ("PATCH", "/v1/members/kid", {"change_id": "c1", "name": "Kid"}, {"admin", "storefront"}),
    ("POST", "/v1/members/root/erasure", {"change_id": "e1", "reason": "r"}, {"admin"}),
    ("GET", "/v1/members/kid/history", None, {"admin", "auditor"}),
    ("POST", "/v1/members/kid/status", STATUS, {"admin"}),
    ("POST", "/v1/members/kid/sponsor", MOVE, {"admin"}),
    # kid was marked paid above, by the admin's call in the admin's run.
    ("POST", "/v1/members/kid/paid/undo", {"change_id": "u1", "reason": "r"}, {"admin"}),
    ("GET", "/v1/members/kid", None, {"admin", "storefront", "growth", "auditor"}),
    ("GET", "/v1/members/kid/referral-code", None, {"admin", "storefront"}),
    ("POST", "/v1/members/kid/referral-code", None, {"admin"}),
    ("GET", f"/v1/referral-codes/{CODE}", None, {"admin", "storefront"}),
    ("POST", f"/v1/referral-codes/{CODE}/clicks", {"id": "k1"}, {"admin", "storefront"}),
    ("GET", "/v1/members/root/referral-funnel?from=0&to=1000", None, {"admin", "growth"}),
    # The storefront's account page shows her points; it grants and redeems them.
    ("GET", "/v1/members/kid/points", None, {"admin", "storefront", "auditor"}),
    ("GET", "/v1/members/kid/points/history", None, {"admin", "storefront", "auditor"}),
    ("POST", "/v1/members/kid/points/grants", GRANT, {"admin", "storefront"}),
    ("POST", "/v1/members/kid/points/redemptions", REDEMPTION, {"admin", "storefront"}),
    ("GET", "/v1/members/kid/tier", None, {"admin", "storefront", "growth", "auditor"}),
    ("POST", "/v1/members/kid/super-memberships", SUPER, {"admin", "storefront"}),
    ("GET", "/v1/members?q=ki", None, {"admin", "storefront", "growth", "auditor"}),
    # A storefront's "my team" widget shows her counts and her upline.
    ("GET", "/v1/members/root/downline/counts", None, {"admin", "storefront", "growth", "auditor"}),
    ("GET", "/v1/members/kid/upline", None, {"admin", "storefront", "growth", "auditor"}),
    ("PUT", "/v1/plans/p2", {**PLAN, "version": "p2", "effective_from": 5 * 10**12}, {"admin"}),
    ("POST", "/v1/plans/check", PLAN, {"admin"}),
    ("GET", "/v1/plans", None, {"admin", "auditor"}),
    ("POST", "/v1/orders", {**ORDER, "id": "o2"}, {"admin", "storefront"}),
    ("POST", "/v1/orders/o1/refunds", REFUND, {"admin", "storefront"}),
    ("GET", "/v1/orders/o1", None, {"admin", "auditor"}),
    ("GET", "/v1/ledger", None, {"admin", "auditor"}),
    ("GET", "/v1/ledger/o:o1:0:0/trace", None, {"admin", "auditor"}),
    ("GET", "/v1/members/kid/earnings", None, {"admin", "auditor", "storefront"}),
    ("GET", "/v1/compliance/report", None, {"admin", "auditor"}),
    ("POST", "/v1/simulations/tiers", WHAT_IF, {"admin", "growth"}),
    ("GET", "/v1/members/root/tree", None, {"admin", "growth", "auditor"}),
    ("GET", "/v1/analytics/cohorts?from=0&to=1000", None, {"admin", "growth", "auditor"}),
    ("GET", "/v1/analytics/concentration?from=0&to=1000", None, {"admin", "growth", "auditor"}),
    ("GET", "/v1/analytics/dashboard", None, {"admin", "growth", "auditor"}),
    ("GET", "/v1/connectors", None, {"admin", "growth", "auditor"}),
    ("GET", "/v1/leaderboards/inviters", None, {"admin", "storefront", "growth", "auditor"}),
    ("GET", "/v1/paths?from=kid&to=root", None, {"admin", "growth", "auditor"}),
    ("POST", "/v1/groups", GROUP, {"admin", "storefront", "growth"}),
    ("PUT", "/v1/groups/reading/members/kid", None, {"admin", "storefront", "growth"}),
    ("GET", "/v1/groups/reading", None, {"admin", "storefront", "growth", "auditor"}),
    ("GET", "/v1/groups/reading/members", None, {"admin", "storefront", "growth", "auditor"}),
    ("GET", "/v1/groups?member_id=kid", None, {"admin", "storefront", "growth", "auditor"}),
    ("DELETE", "/v1/groups/reading/members/kid", None, {"admin", "storefront", "growth"}),
    ("POST", "/v1/jobs/connectors", None, {"admin", "growth"}),
    ("POST", "/v1/jobs/signals", None, {"admin", "growth"}),
    ("GET", "/v1/risk/signals", None, {"admin", "growth", "auditor"}),
    ("GET", "/v1/members/kid/risk", None, {"admin", "growth", "auditor"}),
    ("GET", f"/v1/jobs/{JOB}", None, {"admin", "growth"}),
    ("POST", "/v1/members/kid/hold", {"change_id": "h1", "reason": "r"}, {"admin"}),
    ("POST", "/v1/members/kid/hold/release", {"change_id": "h2", "reason": "r"}, {"admin"}),
    ("GET", "/v1/members/kid/balance", None, {"admin", "auditor", "storefront"}),
    ("GET", "/v1/members/kid/statement", None, {"admin", "auditor", "storefront"}),
    # pay1 (the network fixture's) pays kid's rebate and fails; pay2 pays it again.
    ("POST", "/v1/payouts", {**PAYOUT, "id": "pay1"}, {"admin"}),
    ("GET", "/v1/payouts", None, {"admin", "auditor"}),
    ("GET", "/v1/payouts/pay1", None, {"admin", "auditor"}),
    ("POST", "/v1/payouts/pay1/approve", None, {"admin"}),
    ("GET", "/v1/payouts/pay1/export", None, {"admin"}),
    ("POST", "/v1/payouts/pay1/items/kid/failed", {"reason": "closed"}, {"admin"}),
    ("POST", "/v1/payouts", {**PAYOUT, "id": "pay2"}, {"admin"}),
    ("POST", "/v1/payouts/pay2/approve", None, {"admin"}),
    ("GET", "/v1/payouts/pay2/export", None, {"admin"}),
    ("POST", "/v1/payouts/pay2/items/kid/paid", {"reference": "B1"}, {"admin"}),
    ("POST", "/v1/webhooks", HOOK, {"admin"}),
    ("GET", "/v1/webhooks", None, {"admin"}),
    ("GET", "/v1/webhooks/hook", None, {"admin"}),
    ("GET", "/v1/webhooks/hook/deliveries", None, {"admin"}),
    # Pending, so it is left as it is: 200 for the admin, every time.
    ("POST", f"/v1/webhooks/hook/deliveries/{EVENT}/resend", None, {"admin"}),
    ("DELETE", "/v1/webhooks/hook2", None, {"admin"}),
]


@pytest.fixture
def network(client: TestClient) -> TestClient:
    for body in ({"id": "root"}, {"id": "kid", "inviter_id": "root"}):
        assert client.post("/v1/members", json=body, headers=auth("admin")).status_code == 201
    assert client.put("/v1/plans/p1", json=PLAN, headers=auth("admin")).status_code == 201
    assert client.post("/v1/orders", json=ORDER, headers=auth("admin")).status_code == 201
    # An order of now, held no time: kid's rebate is available for the payout routes.
    paid_now = {**ORDER, "id": "o-now", "placed_at": int(time.time() * 1000)}
    assert client.post("/v1/orders", json=paid_now, headers=auth("admin")).status_code == 201
    drafted = client.post("/v1/payouts", json={**PAYOUT, "id": "pay1"}, headers=auth("admin"))
    assert drafted.status_code == 201, drafted.text
    assert client.post("/v1/groups", json=GROUP, headers=auth("admin")).status_code == 201
    started = client.post("/v1/jobs/connectors", headers=auth("admin"))
    assert started.status_code == 202
    client.job_id = started.json()["job_id"]
    finished(client)
    client.code = client.get("/v1/members/root/referral-code", headers=auth("admin")).json()["code"]
    hook = {"id": "hook", "url": "http://127.0.0.1:9/never", "events": ["member.registered"]}
    assert client.post("/v1/webhooks", json=hook, headers=auth("admin")).status_code == 201
    dispatcher = WebhookWorker(client.app.state.store, NO_SENDING)  # type: ignore[attr-defined]
    try:
        dispatcher.dispatch()
    finally:
        dispatcher.close()
    (delivery,) = [
        d
        for d in client.get("/v1/webhooks/hook/deliveries", headers=auth("admin")).json()["items"]
        if d["member_id"] == "root"
    ]
    client.event = delivery["event_id"]
    return client


def finished(client: TestClient) -> None:
    """Waits for the connector run to end: a run still going when the test's store closes
    would fail in the background."""
    for _ in range(600):
        job = client.get(f"/v1/jobs/{client.job_id}", headers=auth("admin")).json()
        if job["status"] in ("succeeded", "failed"):
            assert job["status"] == "succeeded", job
            return
        time.sleep(0.05)
    raise AssertionError("the connector run did not finish in 30 s")


def concrete(client: TestClient, path: str) -> str:
    return (
        path.replace(JOB, str(client.job_id))
        .replace(CODE, str(client.code))
        .replace(EVENT, str(client.event))
    )


@pytest.mark.parametrize("role", sorted(ROLE_KEYS))
def test_role_matrix(network: TestClient, role: str) -> None:
    for method, template, body, allowed in ROUTES:
        path = concrete(network, template)
        response = network.request(method, path, json=body, headers=auth(role))
        if response.status_code == 202:  # a run started: it must end before the store does
            network.job_id = response.json()["job_id"]
            finished(network)
        if role in allowed:
            assert response.status_code in (200, 201, 202, 204), (role, path, response.text)
        else:
            assert response.status_code == 403, (role, path)
            assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dGVzdA=="},
     {"Authorization": f"Bearer {ROLE_KEYS['admin']}x"}],
)  # fmt: skip
def test_missing_or_wrong_key_is_401_on_every_route(
    network: TestClient, headers: dict[str, str]
) -> None:
    for method, template, body, _ in ROUTES:
        path = concrete(network, template)
        response = network.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (path, headers)
        assert response.headers["www-authenticate"] == "Bearer"
        assert ROLE_KEYS["admin"] not in response.text


def test_every_v1_operation_is_in_the_matrix(client: TestClient) -> None:
    """A route added without a line above fails here, not in production."""
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    operations = {
        (method.upper(), template)
        for template, item in paths.items()
        if template.startswith("/v1")
        for method in item
    }
    listed = {
        (method, template)
        for method, path, _, _ in ROUTES
        for template in paths
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path.split("?")[0])
    }
    assert operations - listed == set()
