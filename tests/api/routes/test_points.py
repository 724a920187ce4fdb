"""Points (积分) over HTTP on both backends: earned with orders, granted once per action,
redeemed oldest first, expired at the month's end a year on, taken back by refunds; every
write safe to retry, bad input refused, and `refgraph audit` re-deriving all of it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from app.api.main import create_app
from app.domain.spend import DEFAULT_SPEND_LADDER, SpendLadder
from app.domain.tiers import DEFAULT_LADDER
from app.domain.units import iso_epoch_ms
from app.services.audit import audit_ledger
from app.store.cypher_store import CypherStore
from tests.api.routes.test_members import assert_problem, register
from tests.api.routes.test_orders import SEED_PLAN
from tests.conftest import auth, make_settings

ADMIN = auth("admin")
STORE = auth("storefront")
AUDITOR = auth("auditor")
POINTS = {
    "earn": {"points": 1, "per": 100},  # a point per yuan (100 fen)
    "grants": {"claim_member_card": 100, "bind_phone": 200},
    "redemption": {"points": 100, "value": 100},  # 100 points = a 1-yuan voucher
    "expiry_years": 1,
}
POINTS_PLAN = {**SEED_PLAN, "points": POINTS}
JAN = SEED_PLAN["effective_from"]
MARCH = 1_772_323_200_000  # 2026-03-01T00:00Z


def t(text: str) -> int:
    return iso_epoch_ms(text)


def load_points_plan(client: TestClient, plan: dict[str, Any] | None = None) -> None:
    plan = POINTS_PLAN if plan is None else plan
    loaded = client.put(f"/v1/plans/{plan['version']}", json=plan, headers=ADMIN)
    assert loaded.status_code == 201, loaded.text


def buy(client: TestClient, order_id: str, amount: int, at: str, buyer: str = "ann") -> None:
    body = {"id": order_id, "buyer_id": buyer, "amount": amount, "currency": "CNY",
            "placed_at": at}  # fmt: skip
    posted = client.post("/v1/orders", json=body, headers=STORE)
    assert posted.status_code == 201, posted.text


def refund(client: TestClient, order_id: str, refund_id: str, amount: int, at: str) -> None:
    body = {"id": refund_id, "amount": amount, "refunded_at": at}
    posted = client.post(f"/v1/orders/{order_id}/refunds", json=body, headers=STORE)
    assert posted.status_code == 201, posted.text


def grant(client: TestClient, action: str, grant_id: str, **extra: Any) -> Any:
    body = {"action": action, "id": grant_id, **extra}
    return client.post("/v1/members/ann/points/grants", json=body, headers=STORE)


def redeem(client: TestClient, redemption_id: str, points: object, member: str = "ann") -> Any:
    body = {"id": redemption_id, "points": points, "for": f"{points} points voucher"}
    return client.post(f"/v1/members/{member}/points/redemptions", json=body, headers=STORE)


def balance(client: TestClient, at: str, member: str = "ann", **query: Any) -> dict[str, Any]:
    answer = client.get(f"/v1/members/{member}/points", params={"at": at, **query}, headers=AUDITOR)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_the_worked_example_earn_redeem_expire_take_back_and_net(
    client: TestClient, store: CypherStore, clock: Callable[[int], None]
) -> None:
    load_points_plan(client)
    register(client, "ann")
    # 2026-01-10: 500.00 yuan earns floor(50,000 * 1 / 100) = 500 points, in January's lot;
    # 2026-01-20: binding her phone grants 200 more into the same lot (700), which is gone
    # at the end of January 2027 (expires_at 2027-02-01T00:00Z).
    buy(client, "o1", 50_000, "2026-01-10T12:00:00Z")
    clock(t("2026-01-20T08:00:00Z"))
    granted = grant(client, "bind_phone", "g1")
    assert granted.status_code == 201, granted.text
    assert granted.json()["points"] == 200
    assert granted.json()["expires_at"] == t("2027-02-01T00:00:00Z")
    # 2026-03-05: 300.00 yuan earns 300, March's lot (expires 2027-04-01).
    buy(client, "o2", 30_000, "2026-03-05T12:00:00Z")
    # 2026-06-01: she redeems 600 for a 6-yuan voucher: January's lot first, 700 → 100.
    clock(t("2026-06-01T00:00:00Z"))
    spent = redeem(client, "x1", 600)
    assert spent.status_code == 201, spent.text
    assert (spent.json()["points"], spent.json()["value"]) == (-600, 600)
    # The millisecond before January 2027 ends: 100 (January) + 300 (March) = 400, and the
    # 100 of January expire within the next 30 days.
    before = balance(client, "2027-01-31T23:59:59.999Z")
    assert before["balance"] == 400 and before["expired"] == 0
    assert before["expiring"] == [{"expires_at": t("2027-02-01T00:00:00Z"), "points": 100}]
    assert before["expiring_points"] == 100
    assert [(lot["earned_in"], lot["points"]) for lot in before["lots"]] == [
        (t("2026-01-01T00:00:00Z"), 100),
        (t("2026-03-01T00:00:00Z"), 300),
    ]
    # At the boundary the 100 are gone: 300 left, 100 expired.
    at = balance(client, "2027-02-01T00:00:00Z")
    assert (at["balance"], at["expired"]) == (300, 100)
    assert at["expiring"] == []  # March's lot expires 2027-04-01, beyond 30 days
    assert balance(client, "2027-02-01T00:00:00Z", expiring_days=59)["expiring_points"] == 300
    # 2027-02-05: 400.50 yuan earns floor(40,050 / 100) = 400 (February 2027's lot): 700.
    buy(client, "o3", 40_050, "2027-02-05T12:00:00Z")
    # 2027-02-10: she redeems all 700: March's 300, then February's 400. Balance 0.
    clock(t("2027-02-10T00:00:00Z"))
    assert redeem(client, "x2", 700).status_code == 201
    # 2027-02-12: 300.00 of o3 refunded: o3 earned 400, so floor(400 * 30,000 / 40,050) =
    # floor(299.6...) = 299 are taken back; no lot is left, so she owes them: -299.
    refund(client, "o3", "r1", 30_000, "2027-02-12T00:00:00Z")
    assert balance(client, "2027-02-12T00:00:00Z")["balance"] == -299
    # 2027-02-13: the rest (100.50) refunded: floor(400 * 40,050 / 40,050) - 299 = 101, the
    # order's 400 taken back in all. -400, a debt that does not expire.
    refund(client, "o3", "r2", 10_050, "2027-02-13T00:00:00Z")
    owed = balance(client, "2027-02-14T00:00:00Z")
    assert (owed["balance"], owed["debt"], owed["lots"]) == (-400, 400, [])
    assert owed["taken_back"] == 400
    # Nothing to redeem while she owes.
    clock(t("2027-02-14T00:00:00Z"))
    assert_problem(redeem(client, "x3", 100), 409, "has -400 points")
    # 2027-03-01: 1,000.00 yuan earns 1,000: 400 pay the debt, 600 make March 2027's lot.
    buy(client, "o4", 100_000, "2027-03-01T12:00:00Z")
    netted = balance(client, "2027-03-02T00:00:00Z")
    assert (netted["balance"], netted["debt"]) == (600, 0)
    assert netted["lots"] == [
        {"earned_in": t("2027-03-01T00:00:00Z"), "expires_at": t("2028-04-01T00:00:00Z"),
         "points": 600}
    ]  # fmt: skip
    # Totals: earned 500 + 300 + 400 + 1,000 = 2,200; granted 200; redeemed 600 + 700 =
    # 1,300; taken back 400; expired 100: 2,200 + 200 - 1,300 - 400 - 100 = 600, the balance.
    totals = ("earned", "granted", "redeemed", "taken_back", "expired")
    assert [netted[name] for name in totals] == [2_200, 200, 1_300, 400, 100]
    # Her history, by event time, two a page.
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/members/ann/points/history", params=params, headers=STORE)
        assert page.status_code == 200, page.text
        seen += [entry["id"] for entry in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == ["po:o1", "pg:ann:bind_phone", "po:o2", "px:ann:x1", "po:o3", "px:ann:x2",
                    "pr:r1", "pr:r2", "po:o4"]  # fmt: skip
    report = audit_ledger(store=store, ladder=DEFAULT_LADDER)
    assert report.ok, report.differences
    assert report.points_entries == 9


def test_grants_are_once_per_action_and_retries_answer_the_first(
    client: TestClient, clock: Callable[[int], None]
) -> None:
    load_points_plan(client)
    register(client, "ann")
    clock(t("2026-02-01T00:00:00Z"))
    first = grant(client, "claim_member_card", "g1")
    assert first.status_code == 201, first.text
    again = grant(client, "claim_member_card", "g1")
    assert again.status_code == 200 and again.json() == first.json()
    assert_problem(grant(client, "claim_member_card", "g2"), 409, "granted once")
    assert_problem(grant(client, "bind_phone", "g1"), 409, "with a different action")
    assert_problem(grant(client, "claim_member_card", "g1", at=JAN), 409, "with a different at")
    assert_problem(grant(client, "write_review", "g3"), 422, "write_review earns no points")
    assert grant(client, "Bind Phone", "g4").status_code == 422
    assert grant(client, "bind_phone", "g5", at="yesterday").status_code == 422
    missing = client.post(
        "/v1/members/ghost/points/grants", json={"action": "bind_phone", "id": "g6"}, headers=STORE
    )
    assert_problem(missing, 404, "ghost")
    assert balance(client, "2026-02-02T00:00:00Z")["balance"] == 100
    # A plan without points from March: a retry still answers what was written; a new
    # grant is refused.
    load_points_plan(client, {**SEED_PLAN, "version": "2026-03", "effective_from": MARCH})
    clock(MARCH + 1)
    assert grant(client, "claim_member_card", "g1").json() == first.json()
    assert_problem(grant(client, "bind_phone", "g7"), 422, "has no points")


def test_redemptions_refuse_bad_input_and_beyond_the_balance_and_change_nothing(
    client: TestClient, clock: Callable[[int], None]
) -> None:
    load_points_plan(client)
    register(client, "ann")
    buy(client, "o1", 50_000, "2026-01-10T12:00:00Z")  # 500 points
    clock(t("2026-02-01T00:00:00Z"))
    for points in (0, -100, 12.5, "100", True, None, 10**13):
        answer = redeem(client, "bad", points)
        assert answer.status_code == 422, (points, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    assert_problem(redeem(client, "odd", 150), 422, "steps of 100")
    assert_problem(redeem(client, "much", 600), 409, "has 500 points")
    no_for = {"id": "x", "points": 100}
    assert (
        client.post("/v1/members/ann/points/redemptions", json=no_for, headers=STORE).status_code
        == 422
    )
    assert_problem(redeem(client, "x1", 100, member="ghost"), 404, "ghost")
    assert redeem(client, "x1", 100, member="a b").status_code == 422
    assert balance(client, "2026-02-01T00:00:00Z")["balance"] == 500  # nothing changed
    first = redeem(client, "x1", 500)
    assert first.status_code == 201
    retry = redeem(client, "x1", 500)
    assert retry.status_code == 200 and retry.json() == first.json()
    assert_problem(redeem(client, "x1", 400), 409, "different points")
    assert balance(client, "2026-02-01T00:00:00Z")["balance"] == 0


def test_concurrent_redemptions_never_overdraw(
    client: TestClient, store: CypherStore, clock: Callable[[int], None]
) -> None:
    load_points_plan(client)
    register(client, "ann")
    buy(client, "o1", 100_000, "2026-01-10T12:00:00Z")  # 1,000 points
    clock(t("2026-02-01T00:00:00Z"))
    answers: list[int] = []

    def spend(index: int) -> None:
        answers.append(redeem(client, f"x{index}", 300).status_code)

    threads = [threading.Thread(target=spend, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 1,000 points pay for three redemptions of 300; the other five are refused.
    assert sorted(answers) == [201] * 3 + [409] * 5
    assert balance(client, "2026-02-01T00:00:00Z")["balance"] == 100
    assert audit_ledger(store=store, ladder=DEFAULT_LADDER).ok


def test_a_plan_without_points_earns_grants_and_redeems_nothing(
    client: TestClient, clock: Callable[[int], None]
) -> None:
    load_points_plan(client, SEED_PLAN)
    register(client, "ann")
    buy(client, "o1", 50_000, "2026-01-10T12:00:00Z")
    clock(t("2026-02-01T00:00:00Z"))
    assert_problem(grant(client, "bind_phone", "g1"), 422, "has no points")
    assert_problem(redeem(client, "x1", 100), 422, "has no points")
    assert balance(client, "2026-02-01T00:00:00Z")["balance"] == 0
    assert_problem(client.get("/v1/members/ghost/points", headers=STORE), 404, "ghost")
    history = client.get("/v1/members/ann/points/history", headers=STORE)
    assert history.json() == {"member_id": "ann", "items": [], "next_cursor": None}
    bad = client.get("/v1/members/ann/points/history?cursor=nope", headers=STORE)
    assert_problem(bad, 422, "cursor")


def test_points_plans_refuse_bad_sections(client: TestClient) -> None:
    for points in (
        {"earn": {"points": 0, "per": 100}},
        {"earn": {"points": 1, "per": 1.5}},
        {"grants": {"Bind Phone": 100}},
        {"grants": {"bind_phone": -1}},
        {"redemption": {"points": 100}},
        {"expiry_years": 0},
        {"surprise": 1},
    ):
        refused = client.put(
            "/v1/plans/bad", json={**SEED_PLAN, "version": "bad", "points": points}, headers=ADMIN
        )
        assert refused.status_code == 422, (points, refused.text)
    assert client.get("/v1/plans", headers=ADMIN).json() == []


def test_a_spend_ladder_may_count_points(store: CypherStore) -> None:
    """REFGRAPH_SPEND_LADDER with v1 also at 8,000 points (the sources' upgrade): 800 yuan
    under a plan earning 10 points a yuan reach v1, which 800 yuan of spend alone do not."""
    levels = [level.model_dump() for level in DEFAULT_SPEND_LADDER.levels]
    levels[1]["min_points"] = 8_000
    ladder = SpendLadder.model_validate({"currency": "CNY", "levels": levels})
    ten_a_yuan = {**POINTS_PLAN, "points": {**POINTS, "earn": {"points": 10, "per": 100}}}
    with TestClient(create_app(make_settings(spend_ladder=ladder), store=store)) as client:
        load_points_plan(client, ten_a_yuan)
        register(client, "ann")
        buy(client, "o1", 80_000, "2026-01-10T12:00:00Z")  # 800 yuan: 8,000 points
        tier = client.get("/v1/members/ann/tier?as_of=2026-01-11T00:00:00Z", headers=STORE)
        assert tier.status_code == 200, tier.text
        assert (tier.json()["spend"]["level"], tier.json()["spend"]["rolling_spend"]) == (
            "v1",
            80_000,
        )
        refund(client, "o1", "r1", 10_000, "2026-01-12T00:00:00Z")  # takes back 1,000
        later = client.get("/v1/members/ann/tier?as_of=2026-01-13T00:00:00Z", headers=STORE)
        # v1 was earned on the 10th and is held for a year: a take-back lowers the points of
        # later gains, not a level already earned (as a refund does to spend).
        assert later.json()["spend"]["level"] == "v1"
