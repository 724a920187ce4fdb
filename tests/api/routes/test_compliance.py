"""Earnings and the compliance report over HTTP, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.domain.plans import DAY_MS, HARD_MAX_LEVELS
from tests.api.routes.test_members import assert_problem
from tests.api.routes.test_orders import JAN, load_seed_plan, network, order
from tests.conftest import auth

AUDITOR = auth("auditor")
STORE = auth("storefront")
REPORT = "/v1/compliance/report"
SECOND_DAY: int = JAN + 2 * DAY_MS  # the API's clock in these tests


@pytest.fixture
def api(client: TestClient, ledger_clock: None) -> TestClient:
    """The API with its clock on the seed plan's second day (holds running)."""
    return client


def self_dealt_sale(client: TestClient) -> None:
    """root ← mid ← sharer, and customer; mid buys through sharer's link: root's bonus 2000
    for mid's first purchase, mid's rebate 500, sharer's commission 1000, distribution 200 to
    mid (on her own order) and 100 to root."""
    network(client)
    assert load_seed_plan(client).status_code == 201
    posted = client.post("/v1/orders", json=order("o1", "mid", shared_by="sharer"), headers=STORE)
    assert posted.status_code == 201, posted.text


def test_earnings_of_the_buyer_on_her_own_order(api: TestClient) -> None:
    self_dealt_sale(api)
    response = api.get("/v1/members/mid/earnings", headers=STORE)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "member_id": "mid",
        "from": None,
        "to": None,
        "by": "event_at",
        "currencies": [
            {
                "currency": "CNY",
                "total": 700,
                "entries": 2,
                "by_kind": {"distribution": 200, "self_rebate": 500},
                "by_status": {"pending": 700},
                "by_period": {"2026-01": 700},
            }
        ],
    }
    # The sale happened on the first day and was written on the second: a window before the
    # second day holds it by event time, and nothing by write time.
    window = {"from": JAN, "to": SECOND_DAY}
    happened = api.get("/v1/members/mid/earnings", params=window, headers=AUDITOR).json()
    assert [c["total"] for c in happened["currencies"]] == [700]
    written = {**window, "by": "created_at"}
    empty = api.get("/v1/members/mid/earnings", params=written, headers=AUDITOR).json()
    assert (empty["from"], empty["to"], empty["by"], empty["currencies"]) == (
        JAN,
        SECOND_DAY,
        "created_at",
        [],
    )


def test_report_over_http(api: TestClient) -> None:
    self_dealt_sale(api)
    response = api.get(REPORT, headers=AUDITOR)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["generated_at"] == SECOND_DAY
    assert body["members"] == 4
    assert body["depth_histogram"] == [
        {"depth": 0, "members": 2},
        {"depth": 1, "members": 1},
        {"depth": 2, "members": 1},
    ]
    assert (body["members_depth_3_or_more"], body["share_depth_3_or_more"]) == (0, 0.0)
    assert body["longest_chain"] == {"depth": 2, "member_id": "sharer"}
    assert body["large_subtrees"]["count"] == 0
    assert (body["deepest_entry_hop"], body["hard_max_levels"], body["within_cap"]) == (
        2,
        HARD_MAX_LEVELS,
        True,
    )
    [cny] = body["payouts"]
    assert {k: v for k, v in cny.items() if k != "by_rule"} == {
        "currency": "CNY",
        "total": 3800,
        "entries": 5,
        "recruitment_linked": 2000,
        "sales_linked": 1800,
        "unclassified": 0,
        "own_consumption": 0,
        "outside_customers": 3800,
    }
    assert body["self_dealing"] == {
        "count": 1,
        "entry_ids": ["o:o1:3:1"],
        "net_amounts": {"CNY": 200},
    }


def test_roles_and_missing_keys(api: TestClient) -> None:
    network(api)
    for path, allowed in [
        ("/v1/members/mid/earnings", {"admin", "auditor", "storefront"}),
        (REPORT, {"admin", "auditor"}),
    ]:
        assert_problem(api.get(path), 401, "Authorization: Bearer")
        for role in ("admin", "auditor", "storefront", "growth"):
            response = api.get(path, headers=auth(role))
            if role in allowed:
                assert response.status_code == 200, (path, role, response.text)
            else:
                assert_problem(response, 403, f"role {role} may not do this")


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"from": -1}, "query.from"),
        ({"to": "soon"}, "query.to"),
        ({"from": 10, "to": 10}, "to (1970-01-01T00:00:00.010Z) must be after from (1970-"),
        ({"from": 10, "to": 5}, "to (1970-01-01T00:00:00.005Z) must be after from (1970-"),
    ],
)
def test_bad_windows_are_422(api: TestClient, params: dict[str, Any], detail: str) -> None:
    network(api)
    assert_problem(api.get("/v1/members/mid/earnings", params=params, headers=STORE), 422, detail)


def test_unknown_member_is_404(api: TestClient) -> None:
    assert_problem(
        api.get("/v1/members/ghost/earnings", headers=STORE), 404, "member ghost does not exist"
    )


def test_every_report_and_earnings_field_is_described(api: TestClient) -> None:
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    answers = ["ComplianceReport", "Earnings"]
    seen: list[str] = []
    while answers:  # every model either answer holds, through its $refs
        name = answers.pop()
        seen.append(name)
        refs = {ref.rsplit("/", 1)[-1] for ref in _refs(schemas[name])}
        answers += sorted(refs - set(seen) - set(answers))
    undescribed = [
        f"{name}.{field}"
        for name in seen
        for field, schema in schemas[name]["properties"].items()
        if not schema.get("description")
    ]
    assert len(seen) == 11 and undescribed == []
    assert "from" in schemas["Earnings"]["properties"]


def _refs(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _refs(item)
