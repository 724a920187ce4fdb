"""Growth analytics over HTTP, on both backends: the answers' shape, 422s and roles."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from app.domain.analytics import DAY_MS
from app.domain.units import iso_moment
from tests.api.routes.test_members import assert_problem
from tests.conftest import ROLE_KEYS, auth
from tests.services.test_analytics import MID_NOVEMBER, utc

JAN = 1_767_225_600_000  # 2026-01-01T00:00Z
FEB = JAN + 31 * DAY_MS
MAR = FEB + 28 * DAY_MS
COHORTS = "/v1/analytics/cohorts"
CONCENTRATION = "/v1/analytics/concentration"
ADMIN = auth("admin")
GROWTH = auth("growth")


@pytest.fixture
def sales(client: TestClient) -> TestClient:
    """a joins 2026-01-01 and buys twice in January (one refunded in part); b joins
    2026-02-10 and buys once, refunded in full."""
    for member, joined_at in (("a", JAN), ("b", FEB + 9 * DAY_MS)):
        body = {"id": member, "joined_at": joined_at}
        assert client.post("/v1/members", json=body, headers=ADMIN).status_code == 201
    for order_id, buyer, amount, at in (
        ("o1", "a", 30_000, JAN + DAY_MS),
        ("o2", "a", 10_000, JAN + 2 * DAY_MS),
        ("o3", "b", 50_000, FEB + 10 * DAY_MS),
    ):
        body = {"id": order_id, "buyer_id": buyer, "amount": amount, "currency": "CNY",
                "placed_at": at}  # fmt: skip
        assert client.post("/v1/orders", json=body, headers=ADMIN).status_code == 201
    for order_id, refund_id, amount, at in (("o2", "r2", 5_000, FEB), ("o3", "r3", 50_000, MAR)):
        body = {"id": refund_id, "amount": amount, "refunded_at": at}
        response = client.post(f"/v1/orders/{order_id}/refunds", json=body, headers=ADMIN)
        assert response.status_code == 201, response.text
    return client


def test_cohorts(sales: TestClient) -> None:
    response = sales.get(COHORTS, params={"from": JAN, "to": MAR}, headers=GROWTH)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "cohorts": [
            {"month": "2026-01", "members": 1, "buyers": 1, "next_month_repurchase": 0.0,
             "six_month_repurchase": 0.0, "first_purchase_7d": 1.0, "second_purchase_30d": 1.0},
            {"month": "2026-02", "members": 1, "buyers": 0, "next_month_repurchase": 0.0,
             "six_month_repurchase": 0.0, "first_purchase_7d": 0.0, "second_purchase_30d": 0.0},
        ]
    }  # fmt: skip


def test_concentration(sales: TestClient) -> None:
    response = sales.get(CONCENTRATION, params={"from": JAN, "to": MAR}, headers=GROWTH)
    assert response.status_code == 200, response.text
    assert response.json() == {"currency": "CNY", "members_with_sales": 1, "top20_share": 1.0}
    params = {"from": JAN, "to": MAR, "currency": "USD"}
    assert sales.get(CONCENTRATION, params=params, headers=GROWTH).json() == {
        "currency": "USD", "members_with_sales": 0, "top20_share": 0.0}  # fmt: skip


@pytest.mark.parametrize("path", [COHORTS, CONCENTRATION])
@pytest.mark.parametrize(("from_", "to"), [(FEB, FEB), (FEB, JAN)])
def test_an_empty_or_backward_window_is_422_naming_to(
    client: TestClient, path: str, from_: int, to: int
) -> None:
    response = client.get(path, params={"from": from_, "to": to}, headers=GROWTH)
    assert_problem(response, 422, f"to ({iso_moment(to)}) must be after from ({iso_moment(from_)})")
    assert response.json()["field"] == "to"


@pytest.mark.parametrize("path", [COHORTS, CONCENTRATION])
@pytest.mark.parametrize(
    ("query", "where", "why"),
    [
        ({"from": -1, "to": JAN}, "query.from", "greater than or equal to 0"),
        ({"from": JAN, "to": "2026-03-01T00:00"}, "query.to", "has no zone"),
        ({"from": "last week"}, "query.from", "neither epoch milliseconds nor an ISO-8601 time"),
    ],
)
def test_a_bound_that_is_not_a_time_is_422_naming_it(
    client: TestClient, path: str, query: dict[str, int | str], where: str, why: str
) -> None:
    response = client.get(path, params=query, headers=GROWTH)
    assert_problem(response, 422, f"the request is not valid: {where}: ")
    assert why in response.json()["detail"]
    [error] = response.json()["errors"]
    assert why in error["message"], error


def test_cohorts_default_to_the_last_12_calendar_months_with_this_one(
    client: TestClient, clock: Callable[[int], None]
) -> None:
    clock(MID_NOVEMBER)
    for member, joined_at in (("before", utc(2025, 12) - 1), ("first", utc(2025, 12)),
                              ("now", MID_NOVEMBER)):  # fmt: skip
        body = {"id": member, "joined_at": joined_at}
        assert client.post("/v1/members", json=body, headers=ADMIN).status_code == 201
    answer = client.get(COHORTS, headers=GROWTH)
    assert answer.status_code == 200, answer.text
    assert [(c["month"], c["members"]) for c in answer.json()["cohorts"]] == [
        ("2025-12", 1), ("2026-11", 1)]  # fmt: skip
    # The same window given as ISO-8601 times, in two zones.
    iso = {"from": "2025-12-01T00:00:00Z", "to": "2026-12-01T08:00:00+08:00"}
    assert client.get(COHORTS, params=iso, headers=GROWTH).json() == answer.json()


def test_concentration_defaults_to_the_last_30_days_with_now(
    client: TestClient, clock: Callable[[int], None]
) -> None:
    clock(MID_NOVEMBER)
    thirty_days_ago = MID_NOVEMBER - 30 * DAY_MS
    for member, placed_at, amount in (("before", thirty_days_ago, 5_000),
                                      ("first", thirty_days_ago + 1, 300),
                                      ("now", MID_NOVEMBER, 100)):  # fmt: skip
        body = {"id": member, "joined_at": JAN}
        assert client.post("/v1/members", json=body, headers=ADMIN).status_code == 201
        order = {"id": f"{member}1", "buyer_id": member, "amount": amount, "currency": "CNY",
                 "placed_at": placed_at}  # fmt: skip
        assert client.post("/v1/orders", json=order, headers=ADMIN).status_code == 201
    answer = client.get(CONCENTRATION, headers=GROWTH)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"currency": "CNY", "members_with_sales": 2, "top20_share": 0.75}


def test_a_cohort_window_over_24_months_is_422(client: TestClient) -> None:
    params = {"from": JAN, "to": JAN + 731 * DAY_MS}
    assert_problem(client.get(COHORTS, params=params, headers=GROWTH), 422, "24 calendar months")
    params = {"from": JAN, "to": JAN + 730 * DAY_MS}
    assert client.get(COHORTS, params=params, headers=GROWTH).status_code == 200
    lower_case: dict[str, int | str] = {"from": JAN, "to": MAR, "currency": "cny"}
    assert client.get(CONCENTRATION, params=lower_case, headers=GROWTH).status_code == 422


@pytest.mark.parametrize("path", [COHORTS, CONCENTRATION])
def test_roles(client: TestClient, path: str) -> None:
    url = f"{path}?from={JAN}&to={MAR}"
    for role in sorted(ROLE_KEYS):
        response = client.get(url, headers=auth(role))
        if role == "storefront":
            assert_problem(response, 403, "may not")
        else:
            assert response.status_code == 200, (role, response.text)
    assert_problem(client.get(url), 401, "")
