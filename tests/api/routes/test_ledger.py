"""The auditor's ledger over HTTP, on both backends: pages, filters and traces."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.domain.plans import DAY_MS
from tests.api.routes.test_members import assert_problem
from tests.api.routes.test_orders import JAN, load_seed_plan, network, order
from tests.conftest import auth

pytestmark = pytest.mark.usefixtures("ledger_clock")
AUDITOR = auth("auditor")
STORE = auth("storefront")


def shared_sale(client: TestClient) -> list[dict[str, Any]]:
    network(client)
    load_seed_plan(client)
    body = order("o1", "customer", shared_by="sharer")
    entries: list[dict[str, Any]] = client.post("/v1/orders", json=body, headers=STORE).json()[
        "entries"
    ]
    return entries


def test_pages_follow_the_cursor_to_the_end_and_filters_narrow(client: TestClient) -> None:
    written = shared_sale(client)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/ledger", params=params, headers=AUDITOR).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(e["id"] for e in written) and len(seen) == 4
    by_root = client.get("/v1/ledger", params={"beneficiary_id": "root"}, headers=AUDITOR)
    assert [e["amount"] for e in by_root.json()["items"]] == [100]
    by_kind = client.get("/v1/ledger", params={"kind": "distribution"}, headers=AUDITOR).json()
    assert {e["beneficiary_id"] for e in by_kind["items"]} == {"mid", "root"}
    held = client.get("/v1/ledger", params={"status": "available"}, headers=AUDITOR).json()
    assert held["items"] == []
    created = written[0]["created_at"]
    window = {"from": created + 1, "to": created + 10}
    assert client.get("/v1/ledger", params=window, headers=AUDITOR).json()["items"] == []


def test_bad_listing_parameters_are_422(client: TestClient) -> None:
    for params, where in [
        ({"cursor": "not-a-cursor"}, "cursor is not one this API handed out"),
        ({"limit": 1001}, "query.limit"),
        ({"kind": "pyramid"}, "query.kind"),
        ({"from": 10, "to": 5}, "to (5) must be after from (10)"),
    ]:
        assert_problem(client.get("/v1/ledger", params=params, headers=AUDITOR), 422, where)


def test_trace_draws_the_path_edge_by_edge(client: TestClient) -> None:
    written = shared_sale(client)
    root_entry = next(e for e in written if e["beneficiary_id"] == "root")
    trace = client.get(f"/v1/ledger/{root_entry['id']}/trace", headers=AUDITOR)
    assert trace.status_code == 200, trace.text
    body = trace.json()
    assert body["sound"] is True
    assert body["entry"] == root_entry
    assert body["order"]["id"] == "o1" and body["refund"] is None
    assert body["plan"]["version"] == "2026-01" and body["plan"]["rule_index"] == 3
    assert body["plan"]["rule"]["level_rates_bp"] == [200, 100]
    assert body["tier_at_event"] == "bee"
    assert body["nodes"] == [
        {"member_id": "sharer", "hop": 0, "roles": ["source", "sharer"]},
        {"member_id": "mid", "hop": 1, "roles": []},
        {"member_id": "root", "hop": 2, "roles": ["beneficiary"]},
    ]
    assert body["edges"] == [
        {"invitee_id": "sharer", "inviter_id": "mid", "hop": 1, "relationship": "INVITED_BY",
         "in_graph": True},
        {"invitee_id": "mid", "inviter_id": "root", "hop": 2, "relationship": "INVITED_BY",
         "in_graph": True},
    ]  # fmt: skip
    missing = client.get("/v1/ledger/o:nope:0:0/trace", headers=AUDITOR)
    assert_problem(missing, 404, "ledger entry o:nope:0:0 does not exist")


def test_reversal_trace_names_its_refund(client: TestClient) -> None:
    shared_sale(client)
    refund = {"id": "r1", "amount": 10_000, "refunded_at": JAN + DAY_MS}
    reversals = client.post("/v1/orders/o1/refunds", json=refund, headers=STORE).json()["entries"]
    trace = client.get(f"/v1/ledger/{reversals[0]['id']}/trace", headers=AUDITOR).json()
    assert trace["refund"]["id"] == "r1" and trace["entry"]["reverses"] == reversals[0]["reverses"]
