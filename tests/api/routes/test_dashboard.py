"""GET /v1/analytics/dashboard on both backends, against a plain-Python count of what the
test registered, marked paid, ordered and refunded, and of the ledger it reads back."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from app.domain.analytics import month_index, month_label
from app.domain.dashboard import month_bounds, week_bounds
from tests.api.routes.test_members import assert_problem
from tests.api.routes.test_orders import JAN, load_seed_plan, order
from tests.conftest import auth

ADMIN = auth("admin")
DAY = 86_400_000


def every_entry(client: TestClient) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/ledger", params=params, headers=ADMIN).json()
        entries += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return entries


def test_the_dashboard_counts_what_happened_month_by_month(
    client: TestClient, clock: Callable[[int], None]
) -> None:
    rng = random.Random(8)
    clock(JAN - DAY)
    assert load_seed_plan(client).status_code == 201
    people: dict[str, dict[str, Any]] = {}
    for n in range(60):
        inviter = rng.choice(list(people)) if people else None
        joined = JAN - 40 * DAY + rng.randrange(0, 9) * 20 * DAY  # ties, over ~6 months
        if inviter is not None:
            joined = max(joined, people[inviter]["joined_at"])
        body = {"id": f"m{n}", "inviter_id": inviter, "joined_at": joined}
        assert client.post("/v1/members", json=body, headers=ADMIN).status_code == 201
        people[f"m{n}"] = {"joined_at": joined, "paid_at": None}
    clock(JAN + 200 * DAY)
    for member_id in rng.sample(list(people), 30):
        paid_at = people[member_id]["joined_at"] + rng.randrange(0, 60) * DAY
        people[member_id]["paid_at"] = paid_at
        client.post(f"/v1/members/{member_id}/paid", json={"paid_at": paid_at}, headers=ADMIN)
    orders = []
    for k in range(25):
        buyer = rng.choice(list(people))
        placed = max(people[buyer]["joined_at"], JAN) + rng.randrange(0, 120) * DAY
        body = {**order(f"o{k}", buyer, amount=rng.randrange(100, 50_000)), "placed_at": placed}
        assert client.post("/v1/orders", json=body, headers=ADMIN).status_code == 201
        refunded = 0
        if rng.random() < 0.3:
            refunded = body["amount"] // 2
            refund = {"id": f"r{k}", "amount": refunded, "refunded_at": placed + DAY}
            client.post(f"/v1/orders/o{k}/refunds", json=refund, headers=ADMIN)
        orders.append((placed, body["amount"] - refunded))
    at = JAN + 100 * DAY
    answer = client.get("/v1/analytics/dashboard", params={"at": at, "months": 6},
                        headers=ADMIN)  # fmt: skip
    assert answer.status_code == 200, answer.text
    board = answer.json()

    bounds = month_bounds(at, 6)
    labels = [month_label(month_index(start)) for start in bounds[:-1]]
    entries = every_entry(client)

    def in_month(moment: int | None, k: int) -> bool:
        return moment is not None and bounds[k] <= moment < bounds[k + 1]

    expected = []
    for k, label in enumerate(labels):
        end = bounds[k + 1]
        sales = sum(net for placed, net in orders if in_month(placed, k))
        commission = sum(e["amount"] for e in entries if in_month(e["event_at"], k))
        expected.append(
            {
                "month": label,
                "new_members": sum(in_month(p["joined_at"], k) for p in people.values()),
                "new_paid": sum(in_month(p["paid_at"], k) for p in people.values()),
                "members": sum(p["joined_at"] < end for p in people.values()),
                "paid_members": sum(
                    p["paid_at"] is not None and p["paid_at"] < end for p in people.values()
                ),
                "net_sales": {"CNY": sales} if sales else {},
                "commission": {"CNY": commission} if commission else {},
            }
        )
    assert board["months"] == expected
    assert board["members"] == expected[-1]["members"]
    assert board["paid_members"] == expected[-1]["paid_members"]
    assert board["paid_conversion"] == board["paid_members"] / board["members"]
    weeks = week_bounds(at)
    assert [w["week_start"] for w in board["weeks"]] == weeks[:-1]
    assert [w["new_members"] for w in board["weeks"]] == [
        sum(weeks[k] <= p["joined_at"] < weeks[k + 1] for p in people.values())
        for k in range(len(weeks) - 1)
    ]
    assert any(month["net_sales"] for month in board["months"])


def test_an_empty_network_has_an_empty_dashboard_and_bad_asks_are_422(client: TestClient) -> None:
    board = client.get("/v1/analytics/dashboard", params={"months": 2}, headers=ADMIN).json()
    assert (board["members"], board["paid_conversion"], len(board["months"])) == (0, 0.0, 2)
    for params, where in (({"months": 0}, "months"), ({"months": 25}, "months"),
                          ({"at": "soon"}, "at")):  # fmt: skip
        response = client.get("/v1/analytics/dashboard", params=params, headers=ADMIN)
        assert_problem(response, 422, where)
    assert client.get("/v1/analytics/dashboard", headers=auth("storefront")).status_code == 403
