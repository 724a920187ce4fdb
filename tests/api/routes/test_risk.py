"""Abuse signals over HTTP, on both backends: identity facts taken on registration and PATCH
(and refused when raw), a signals job over a network with one planted case of each kind
and ordinary members around them, the pages and a member's risk, and an erasure taking her
facts out of the next run."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.domain.plans import DAY_MS
from tests.api.routes.test_connectors import finished_job
from tests.api.routes.test_members import assert_problem, register
from tests.api.routes.test_orders import JAN, STORE, load_seed_plan, order
from tests.conftest import auth

ADMIN = auth("admin")
GROWTH = auth("growth")
PHONE = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
DEVICE = "ios-FARM-000001"

pytestmark = pytest.mark.usefixtures("ledger_clock")


def post_order(client: TestClient, order_id: str, buyer: str, **extra: Any) -> None:
    answer = client.post("/v1/orders", json=order(order_id, buyer, **extra), headers=STORE)
    assert answer.status_code == 201, answer.text


def planted(client: TestClient) -> None:
    """One case of each kind, and ordinary members who must not be named."""
    load_seed_plan(client)
    # A farm: fa, her invitee fb on fa's device, fb's invitee fc on fa's phone (by PATCH).
    register(client, "fa", identity={"device_id": DEVICE, "phone_hash": PHONE})
    register(client, "fb", "fa", identity={"device_id": DEVICE})
    register(client, "fc", "fb")
    patch = {"change_id": "fc-phone", "identity": {"phone_hash": PHONE}}
    assert client.patch("/v1/members/fc", json=patch, headers=STORE).status_code == 200
    # Self-dealing: fb buys through fa's share link (fa shares her device).
    post_order(client, "ofb", "fb", shared_by="fa")
    # Strangers on one family tablet: no relation, no signal.
    register(client, "x1", identity={"device_id": "tablet-HOME-01"})
    register(client, "x2", identity={"device_id": "tablet-HOME-01"})
    # A trading ring: ra and rb each buy twice through the other's link.
    register(client, "ra")
    register(client, "rb")
    for k in range(2):
        post_order(client, f"ab{k}", "rb", shared_by="ra")
        post_order(client, f"ba{k}", "ra", shared_by="rb")
    # Bonus farming: pf's three invitees buy (paying pf the referral bonus) and refund in
    # full; hq's six invitees buy and keep it. Network: 3 of 10 buying invitees (fb is the
    # tenth) refunded, 0.3; pf: 3 of 3, 1.0 >= max(0.5, 3 * 0.3).
    register(client, "pf")
    register(client, "hq")
    for k in range(3):
        register(client, f"v{k}", "pf")
        post_order(client, f"ov{k}", f"v{k}")
        refund = {"id": f"rv{k}", "amount": 10_000, "refunded_at": JAN + 2 * DAY_MS}
        assert client.post(f"/v1/orders/ov{k}/refunds", json=refund, headers=STORE).is_success
    for k in range(6):
        register(client, f"w{k}", "hq")
        post_order(client, f"ow{k}", f"w{k}")
    # A burst: bq gains 8 invitees, four of them in one millisecond, within ten minutes.
    register(client, "bq", joined_at=JAN)
    for k, minute in enumerate((0, 0, 0, 0, 1, 3, 6, 10)):
        register(client, f"i{k}", "bq", joined_at=JAN + DAY_MS + minute * 60_000)


def run(client: TestClient) -> dict[str, Any]:
    started = client.post("/v1/jobs/signals", headers=GROWTH)
    assert started.status_code == 202, started.text
    job = finished_job(client, started.json()["job_id"])
    assert (job["kind"], job["status"]) == ("signals", "succeeded"), job
    return job


def all_signals(client: TestClient, **query: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {**query, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/risk/signals", params=params, headers=auth("auditor")).json()
        items += page["items"]
        if (cursor := page["next_cursor"]) is None:
            return items


def test_a_run_finds_each_planted_case_and_names_nobody_else(client: TestClient) -> None:
    planted(client)
    assert client.get("/v1/risk/signals", headers=GROWTH).json() == {
        "computed_at": None,
        "items": [],
        "next_cursor": None,
    }
    run(client)
    found = {(s["kind"], tuple(s["members"])) for s in all_signals(client)}
    assert found == {
        ("shared_identity", ("fa", "fb", "fc")),
        ("self_dealing", ("fa", "fb")),
        ("trading_ring", ("ra", "rb")),
        ("bonus_farming", ("pf", "v0", "v1", "v2")),
        ("burst", ("bq", *(f"i{k}" for k in range(8)))),
    }
    signals = all_signals(client)
    scores = [(-s["score"], s["id"]) for s in signals]
    assert scores == sorted(scores)  # strongest first, then id, across pages
    farm = next(s for s in signals if s["kind"] == "shared_identity")
    assert {(x["kind"], tuple(x["members"])) for x in farm["evidence"]["shared"]} == {
        ("device_id", ("fa", "fb")),
        ("phone_hash", ("fa", "fc")),
    }
    dealt = next(s for s in signals if s["kind"] == "self_dealing")
    # fb's first purchase through fa's link paid fa as sharer and as her inviter.
    [dealing] = dealt["evidence"]["orders"]
    assert dealing["order_id"] == "ofb"
    assert {"sharer", "referral_bonus"} <= set(dealing["as"].split("+"))
    only = all_signals(client, kind="bonus_farming")
    assert [s["kind"] for s in only] == ["bonus_farming"]
    burst = client.get(
        "/v1/risk/signals",
        params={"kind": "burst", "since": "2026-01-02T00:10:00+00:00"},
        headers=GROWTH,
    ).json()["items"]
    assert [s["evidence"]["invitees"] for s in burst] == [8]
    later = client.get(
        "/v1/risk/signals", params={"kind": "burst", "since": JAN + DAY_MS + 600_001},
        headers=GROWTH,
    ).json()["items"]  # fmt: skip
    assert later == []


def test_a_member_risk_and_hold(client: TestClient) -> None:
    planted(client)
    run(client)
    risk = client.get("/v1/members/fa/risk", headers=auth("auditor")).json()
    assert sorted(s["kind"] for s in risk["signals"]) == ["self_dealing", "shared_identity"]
    assert risk["score"] == max(s["score"] for s in risk["signals"])
    assert (risk["on_hold"], risk["hold_reason"]) == (False, None)
    hold = {"change_id": "hold-fa", "reason": "shared device with her invitees"}
    assert client.post("/v1/members/fa/hold", json=hold, headers=ADMIN).status_code == 200
    held = client.get("/v1/members/fa/risk", headers=GROWTH).json()
    assert (held["on_hold"], held["hold_reason"]) == (True, "shared device with her invitees")
    clean = client.get("/v1/members/x1/risk", headers=GROWTH).json()
    assert (clean["score"], clean["signals"]) == (0.0, [])
    assert_problem(client.get("/v1/members/nobody/risk", headers=GROWTH), 404, "nobody")
    for path in ("/v1/members/fa/risk", "/v1/risk/signals"):
        assert client.get(path, headers=STORE).status_code == 403


def test_identity_is_never_answered_and_an_erasure_takes_it_out(client: TestClient) -> None:
    planted(client)
    for role in ("storefront", "admin", "auditor"):
        body = client.get("/v1/members/fa", headers=auth(role)).text
        assert PHONE not in body and DEVICE not in body and "identity" not in body
    erase = {"change_id": "erase-fb", "reason": "deletion request"}
    assert client.post("/v1/members/fb/erasure", json=erase, headers=ADMIN).status_code == 200
    # Facts are not taken again for an erased member.
    again = {"change_id": "fb-again", "identity": {"device_id": DEVICE}}
    assert client.patch("/v1/members/fb", json=again, headers=STORE).status_code == 409
    run(client)
    found = {(s["kind"], tuple(s["members"])) for s in all_signals(client)}
    # fa and fc still share a phone down one chain; fb's device is gone with her.
    assert ("shared_identity", ("fa", "fc")) in found
    assert not any(kind == "self_dealing" for kind, _ in found)


def test_raw_or_malformed_identity_is_refused_and_registers_nothing(client: TestClient) -> None:
    bad = [
        ({"phone_hash": "+86 138 0013 8000"}, "phone_hash"),
        ({"phone_hash": PHONE.upper()}, "phone_hash"),
        ({"ip_prefix": "203.0.113.7/32"}, "too narrow"),
        ({"ip_prefix": "203.0.113.7"}, "too narrow"),
        ({"ip_prefix": "203.0.113.7/24"}, "host bits"),
        ({"device_id": "x"}, "device_id"),
        ({"email": "a@example.com"}, "email"),
    ]
    for identity, says in bad:
        answer = register(client, "new", identity=identity)
        assert_problem(answer, 422, "")
        assert says in answer.text, answer.text
    assert client.get("/v1/members/new", headers=ADMIN).status_code == 404


def test_a_retried_registration_adds_the_facts_its_first_try_missed(client: TestClient) -> None:
    register(client, "ya")
    register(client, "yb", "ya")
    assert register(client, "ya", identity={"device_id": DEVICE}).status_code == 200
    assert register(client, "yb", "ya", identity={"device_id": DEVICE}).status_code == 200
    run(client)
    found = {(s["kind"], tuple(s["members"])) for s in all_signals(client)}
    assert found == {("shared_identity", ("ya", "yb"))}
