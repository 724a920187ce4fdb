"""Spend levels and super memberships over the API, on both backends: the tier answer's
`spend` and `super_membership`, and POST /v1/members/{id}/super-memberships."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.deps import get_now
from tests.api.routes.test_members import assert_problem
from tests.conftest import auth

ADMIN = auth("admin")
STOREFRONT = auth("storefront")
DAY = 86_400_000
YEAR = 365 * DAY
T0 = 1_767_225_600_000  # 2026-01-01T00:00Z
NOW = T0 + 400 * DAY


@pytest.fixture
def shop(client: TestClient) -> TestClient:
    """ann joined at T0; the API's clock stands at NOW."""

    async def clock() -> int:
        return NOW

    client.app.dependency_overrides[get_now] = clock  # type: ignore[attr-defined]
    body = {"id": "ann", "joined_at": T0}
    assert client.post("/v1/members", json=body, headers=ADMIN).status_code == 201
    return client


def order(client: TestClient, order_id: str, yuan: int, on_day: int, **extra: Any) -> None:
    body = {"id": order_id, "buyer_id": "ann", "amount": yuan * 100, "currency": "CNY",
            "placed_at": T0 + on_day * DAY, **extra}  # fmt: skip
    response = client.post("/v1/orders", json=body, headers=STOREFRONT)
    assert response.status_code == 201, response.text


def refund(client: TestClient, order_id: str, yuan: int, on_day: int) -> None:
    body = {"id": f"{order_id}-refund", "amount": yuan * 100, "refunded_at": T0 + on_day * DAY}
    response = client.post(f"/v1/orders/{order_id}/refunds", json=body, headers=STOREFRONT)
    assert response.status_code == 201, response.text


def tier(client: TestClient, as_of: int | None = None, role: str = "storefront") -> Any:
    query = "" if as_of is None else f"?as_of={as_of}"
    response = client.get(f"/v1/members/ann/tier{query}", headers=auth(role))
    assert response.status_code == 200, response.text
    return response.json()


def membership(membership_id: str = "s1", **changes: Any) -> dict[str, Any]:
    return {"id": membership_id, "starts_at": T0 + 100 * DAY, "expires_at": T0 + 465 * DAY,
            "amount": 19_900, "currency": "CNY", **changes}  # fmt: skip


def post_membership(client: TestClient, body: dict[str, Any], member_id: str = "ann") -> Any:
    return client.post(f"/v1/members/{member_id}/super-memberships", json=body, headers=ADMIN)


def test_the_tier_answer_reports_the_spend_level_over_the_rolling_year(shop: TestClient) -> None:
    order(shop, "o1", 20_000, 0)
    order(shop, "o2", 6_000, 200)
    order(shop, "o3", 900, 210, currency="USD")  # not in the ladder's currency
    answer = tier(shop)
    assert answer["tier"] == "bee" and answer["member_id"] == "ann"
    # Day 400: 6,000 yuan in the year, but day 200's purchase earned v3 (26,000 in its year).
    assert answer["spend"] == {
        "level": "v3", "price_bp": 9200, "currency": "CNY", "rolling_spend": 600_000,
        "held_until": T0 + 565 * DAY, "next_level": "v4", "spend_to_next": 2_400_000,
    }  # fmt: skip
    assert tier(shop, as_of=T0 + 100 * DAY)["spend"]["level"] == "v3"
    assert tier(shop, as_of=T0 + 100 * DAY)["spend"]["held_until"] == T0 + 365 * DAY
    # Twelve months without a purchase: back to the base level.
    fallen = tier(shop, as_of=T0 + 565 * DAY)["spend"]
    assert (fallen["level"], fallen["price_bp"], fallen["rolling_spend"]) == ("v0", 10_000, 0)


def test_refunds_reduce_the_spend(shop: TestClient) -> None:
    order(shop, "o1", 5_000, 10)
    assert tier(shop, as_of=T0 + 10 * DAY)["spend"]["level"] == "v1"
    refund(shop, "o1", 1, 20)
    # Net of the refund, even for a moment before it was made.
    spent = tier(shop, as_of=T0 + 10 * DAY)["spend"]
    assert (spent["level"], spent["rolling_spend"], spent["spend_to_next"]) == ("v0", 499_900, 100)


def test_the_tier_answer_reports_the_super_membership(shop: TestClient) -> None:
    assert tier(shop)["super_membership"] == {"active": False, "since": None, "expires_at": None}
    assert post_membership(shop, membership()).status_code == 201
    assert tier(shop)["super_membership"] == {
        "active": True, "since": T0 + 100 * DAY, "expires_at": T0 + 465 * DAY,
    }  # fmt: skip
    renewal = membership("s2", starts_at=T0 + 465 * DAY, expires_at=T0 + 830 * DAY)
    assert post_membership(shop, renewal).status_code == 201
    assert tier(shop)["super_membership"]["expires_at"] == T0 + 830 * DAY
    assert tier(shop, as_of=T0 + 900 * DAY)["super_membership"] == {
        "active": False, "since": None, "expires_at": T0 + 830 * DAY,
    }  # fmt: skip
    assert not tier(shop, as_of=T0 + 50 * DAY)["super_membership"]["active"]


def test_a_super_membership_is_recorded_once(shop: TestClient) -> None:
    first = post_membership(shop, membership())
    assert first.status_code == 201
    stored = {**membership(), "member_id": "ann", "created_at": NOW}
    assert first.json() == stored
    again = post_membership(shop, membership())
    assert again.status_code == 200 and again.json() == stored


def test_the_same_id_with_another_payload_is_409_naming_the_fields(shop: TestClient) -> None:
    shop.post("/v1/members", json={"id": "bob", "joined_at": T0}, headers=ADMIN)
    assert post_membership(shop, membership()).status_code == 201
    other = membership(amount=9_900, expires_at=T0 + 466 * DAY)
    conflict = post_membership(shop, other)
    assert_problem(conflict, 409, "expires_at, amount")
    assert conflict.json()["conflicting_fields"] == ["expires_at", "amount"]
    elsewhere = post_membership(shop, membership(), member_id="bob")
    assert_problem(elsewhere, 409, "member_id")
    assert tier(shop)["super_membership"]["expires_at"] == T0 + 465 * DAY


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"expires_at": T0 + 100 * DAY}, "must be after starts_at"),
        ({"expires_at": T0 + 99 * DAY}, "must be after starts_at"),
        ({"starts_at": T0 - 1}, "before member ann joined"),
        ({"currency": "yuan"}, "body.currency"),
        ({"amount": -1}, "body.amount"),
        ({"amount": "199"}, "body.amount"),
        ({"id": "a b"}, "body.id"),
        ({"colour": "gold"}, "body.colour"),
    ],
)
def test_invalid_super_memberships_are_422_and_write_nothing(
    shop: TestClient, changes: dict[str, Any], detail: str
) -> None:
    assert_problem(post_membership(shop, membership(**changes)), 422, detail)
    assert tier(shop, as_of=T0 + 200 * DAY)["super_membership"]["active"] is False


def test_a_super_membership_of_an_unknown_member_is_404(shop: TestClient) -> None:
    assert_problem(post_membership(shop, membership(), member_id="ghost"), 404, "ghost")


def test_who_may_record_a_super_membership(shop: TestClient) -> None:
    path = "/v1/members/ann/super-memberships"
    for role in ("growth", "auditor"):
        assert_problem(shop.post(path, json=membership(), headers=auth(role)), 403, role)
    response = shop.post(path, json=membership())
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert shop.post(path, json=membership(), headers=STOREFRONT).status_code == 201
    for role in ("admin", "storefront", "growth", "auditor"):
        assert tier(shop, role=role)["super_membership"]["active"]


def test_openapi_documents_the_route(shop: TestClient) -> None:
    route = shop.get("/openapi.json").json()["paths"]["/v1/members/{member_id}/super-memberships"]
    post = route["post"]
    assert post["operationId"] == "members-add_super_membership"
    assert post["security"] == [{"HTTPBearer": []}]
    assert {"200", "201", "401", "403", "404", "409", "422"} <= set(post["responses"])
