"""The auditor's ledger over HTTP, on both backends: pages, filters and traces."""

from __future__ import annotations

from collections.abc import Callable
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
        ({"from": 10, "to": 5}, "to (1970-01-01T00:00:00.005Z) must be after from (1970-"),
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


FEB = JAN + 31 * DAY_MS  # 2026-02-01T00:00Z
MAR = FEB + 28 * DAY_MS


def a_history_posted_late(client: TestClient, clock: Callable[[int], None]) -> None:
    """Written on 1 March: a shared sale placed in January (its time sent as ISO-8601 with a
    zone), and a second one placed in February and refunded in half on 10 February."""
    network(client)
    load_seed_plan(client)
    clock(MAR)
    january = order("o1", "customer", shared_by="sharer", placed_at="2026-01-05T18:00:00+08:00")
    assert client.post("/v1/orders", json=january, headers=STORE).status_code == 201
    february = order("o2", "customer", shared_by="sharer", placed_at=FEB + DAY_MS)
    assert client.post("/v1/orders", json=february, headers=STORE).status_code == 201
    refund = {"id": "r2", "amount": 5000, "refunded_at": "2026-02-10T00:00:00Z"}
    assert client.post("/v1/orders/o2/refunds", json=refund, headers=STORE).status_code == 201


def ids(page: dict[str, Any]) -> list[str]:
    return [entry["id"] for entry in page["items"]]


def test_a_late_history_lands_in_the_months_it_happened(
    client: TestClient, clock: Callable[[int], None]
) -> None:
    a_history_posted_late(client, clock)
    january = {"from": "2026-01-01T00:00:00Z", "to": FEB}
    page = client.get("/v1/ledger", params=january, headers=AUDITOR).json()
    placed = JAN + 4 * DAY_MS + 10 * 3_600_000  # 2026-01-05T10:00Z
    assert {(e["order_id"], e["event_at"], e["created_at"]) for e in page["items"]} == {
        ("o1", placed, MAR)
    }
    # Written in March: by write time January is empty and March holds everything.
    by_write = client.get("/v1/ledger", params={**january, "by": "created_at"}, headers=AUDITOR)
    assert by_write.json()["items"] == []
    march = {"from": MAR, "to": MAR + DAY_MS, "by": "created_at"}
    written = client.get("/v1/ledger", params=march, headers=AUDITOR).json()
    assert len(written["items"]) == 3 * 4  # o1's and o2's entries and r2's reversals
    # Every hold had passed when they were written: payable since then, and they say so.
    assert {(e["status"], e["released_at"]) for e in written["items"]} == {("available", MAR)}
    reversal_times = {e["event_at"] for e in written["items"] if e["refund_id"] == "r2"}
    assert reversal_times == {FEB + 9 * DAY_MS}

    sharer = client.get("/v1/members/sharer/earnings", headers=AUDITOR).json()
    [cny] = sharer["currencies"]
    assert sharer["by"] == "event_at"
    assert cny["by_period"] == {"2026-01": 1000, "2026-02": 1000 - 500}
    written_by = {"by": "created_at"}
    by_write = client.get("/v1/members/sharer/earnings", params=written_by, headers=AUDITOR)
    assert by_write.json()["currencies"][0]["by_period"] == {"2026-03": 1500}

    report = client.get("/v1/compliance/report", params=january, headers=AUDITOR).json()
    assert report["window"] == {"from": JAN, "to": FEB, "by": "event_at"}
    assert [p["total"] for p in report["payouts"]] == [sum(e["amount"] for e in page["items"])]


def test_the_ledger_pages_by_event_time_and_id_across_ties(
    client: TestClient, clock: Callable[[int], None]
) -> None:
    a_history_posted_late(client, clock)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/ledger", params=params, headers=AUDITOR).json()
        seen += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    everything = client.get("/v1/ledger", params={"limit": 100}, headers=AUDITOR).json()
    assert seen == ids(everything) and len(seen) == len(set(seen)) == 12
    times = [(e["event_at"], e["id"]) for e in everything["items"]]
    assert times == sorted(times)


def test_times_without_a_zone_or_not_times_at_all_are_422(client: TestClient) -> None:
    network(client)
    for params, where in [
        ({"from": "2026-01-01T00:00:00"}, "has no zone"),
        ({"to": "next tuesday"}, "neither epoch milliseconds nor an ISO-8601 time"),
        ({"by": "placed_at"}, "query.by"),
    ]:
        assert_problem(client.get("/v1/ledger", params=params, headers=AUDITOR), 422, where)
    naive = order("o9", "customer", placed_at="2026-01-05 10:00")
    assert_problem(client.post("/v1/orders", json=naive, headers=STORE), 422, "has no zone")
