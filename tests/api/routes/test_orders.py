"""Orders, refunds and plans over HTTP, on both backends: the storefront's and the admin's
view of the ledger's writes."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.config import PROJECT_ROOT
from app.domain.plans import DAY_MS
from app.domain.tiers import DEFAULT_LADDER
from app.services.audit import audit_ledger
from app.store.cypher_store import CypherStore
from tests.api.routes.test_members import assert_problem, register
from tests.conftest import auth

ADMIN = auth("admin")
STORE = auth("storefront")
SEED_PLAN: dict[str, Any] = json.loads(Path(PROJECT_ROOT / "examples/seed-plan.json").read_text())
JAN = SEED_PLAN["effective_from"]


pytestmark = pytest.mark.usefixtures("ledger_clock")


def load_seed_plan(client: TestClient) -> Any:
    return client.put(f"/v1/plans/{SEED_PLAN['version']}", json=SEED_PLAN, headers=ADMIN)


def order(order_id: str, buyer: str, amount: object = 10_000, **extra: Any) -> dict[str, Any]:
    return {"id": order_id, "buyer_id": buyer, "amount": amount, "currency": "CNY",
            "placed_at": JAN + DAY_MS, **extra}  # fmt: skip


def network(client: TestClient) -> None:
    """root ← mid ← sharer; customer joins on her own."""
    register(client, "root")
    register(client, "mid", "root")
    register(client, "sharer", "mid")
    register(client, "customer")


def test_seed_plan_loads_with_its_lint_and_a_reload_is_200(client: TestClient) -> None:
    loaded = load_seed_plan(client)
    assert loaded.status_code == 201, loaded.text
    body = loaded.json()
    assert body["plan"] == SEED_PLAN
    assert [(r["kind"], r["linkage"]) for r in body["lint"]["rules"]] == [
        ("referral_bonus", "recruitment-linked"),
        ("self_rebate", "sales-linked"),
        ("sales_commission", "sales-linked"),
        ("distribution", "sales-linked"),
        ("training_allowance", "recruitment-linked"),
    ]
    assert {f["kind"] for f in body["lint"]["findings"]} == {"distribution", "training_allowance"}
    again = load_seed_plan(client)
    assert again.status_code == 200 and again.json() == body
    assert client.get("/v1/plans", headers=auth("auditor")).json() == [SEED_PLAN]


def test_illegal_plans_are_422_naming_rule_and_limit_and_change_nothing(
    client: TestClient,
) -> None:
    levels = [100, 100, 100, 100]
    four_levels = {**SEED_PLAN, "version": "deep", "max_levels": 4,
                   "rules": [{"kind": "distribution", "level_rates_bp": levels}]}  # fmt: skip
    refused = client.put("/v1/plans/deep", json=four_levels, headers=ADMIN)
    assert_problem(refused, 422, "above the hard limit of 3 levels")
    limits = {(v["rule"], v["limit"], v["allowed"]) for v in refused.json()["violations"]}
    assert limits == {(None, "max_levels", 3), (0, "max_levels", 3)}
    greedy = {**SEED_PLAN, "version": "greedy", "rate_ceiling_bp": 10_000,
              "rules": [{"kind": "self_rebate", "rate_bp": 6000},
                        {"kind": "sales_commission", "rate_bp": 6000}]}  # fmt: skip
    refused = client.put("/v1/plans/greedy", json=greedy, headers=ADMIN)
    assert_problem(refused, 422, "add up to 12000 bp, above the ceiling of 10000 bp")
    mismatch = client.put("/v1/plans/other", json=SEED_PLAN, headers=ADMIN)
    assert_problem(mismatch, 422, "the path names version other")
    negative = {**SEED_PLAN, "rules": [{"kind": "self_rebate", "rate_bp": -1}]}
    assert_problem(client.put("/v1/plans/2026-01", json=negative, headers=ADMIN), 422, "rate_bp")
    assert client.get("/v1/plans", headers=ADMIN).json() == []


def test_a_plan_cannot_reprice_orders_already_ingested(client: TestClient) -> None:
    network(client)
    load_seed_plan(client)
    assert client.post("/v1/orders", json=order("o1", "customer"), headers=STORE).status_code == 201
    earlier = {**SEED_PLAN, "version": "2026-01b", "effective_from": JAN + 1}
    assert_problem(client.put("/v1/plans/2026-01b", json=earlier, headers=ADMIN), 409, "order o1")
    changed = {**SEED_PLAN, "rate_ceiling_bp": 2900}
    assert_problem(client.put("/v1/plans/2026-01", json=changed, headers=ADMIN), 409, "different")
    later = {**SEED_PLAN, "version": "2026-02", "effective_from": JAN + 2 * DAY_MS}
    assert client.put("/v1/plans/2026-02", json=later, headers=ADMIN).status_code == 201


def test_shared_order_with_the_seed_plan_pays_every_rule_that_applies(client: TestClient) -> None:
    network(client)
    load_seed_plan(client)
    posted = client.post("/v1/orders", json=order("o1", "customer", shared_by="sharer"),
                         headers=STORE)  # fmt: skip
    assert posted.status_code == 201, posted.text
    body = posted.json()
    assert body["order"]["plan_version"] == "2026-01"
    got = {(e["kind"], e["beneficiary_id"], e["amount"], e["status"]) for e in body["entries"]}
    # customer has no inviter: no referral bonus. Sharer's inviter mid is a bee: no allowance.
    assert got == {
        ("self_rebate", "customer", 500, "pending"),
        ("sales_commission", "sharer", 1000, "pending"),
        ("distribution", "mid", 200, "pending"),
        ("distribution", "root", 100, "pending"),
    }
    again = client.post("/v1/orders", json=order("o1", "customer", shared_by="sharer"),
                        headers=STORE)  # fmt: skip
    assert again.status_code == 200 and again.json() == body
    other = client.post("/v1/orders", json=order("o1", "customer", 5), headers=STORE)
    assert_problem(other, 409, "amount, shared_by")


def test_refunds_over_http(client: TestClient) -> None:
    network(client)
    load_seed_plan(client)
    client.post("/v1/orders", json=order("o1", "sharer"), headers=STORE)
    refund = {"id": "r1", "amount": 4000, "refunded_at": JAN + 2 * DAY_MS}
    first = client.post("/v1/orders/o1/refunds", json=refund, headers=STORE)
    assert first.status_code == 201, first.text
    # sharer bought for herself: her first purchase pays mid the bonus, 40% of it comes back.
    got = {(e["kind"], e["beneficiary_id"], e["amount"]) for e in first.json()["entries"]}
    assert got == {("referral_bonus", "mid", -800), ("self_rebate", "sharer", -200),
                   ("distribution", "mid", -80), ("distribution", "root", -40)}  # fmt: skip
    again = client.post("/v1/orders/o1/refunds", json=refund, headers=STORE)
    assert again.status_code == 200 and again.json() == first.json()
    too_much = {"id": "r2", "amount": 6001, "refunded_at": JAN + 2 * DAY_MS}
    assert_problem(client.post("/v1/orders/o1/refunds", json=too_much, headers=STORE), 422,
                   "more than the 6000 left")  # fmt: skip
    clash = {**refund, "amount": 1}
    assert_problem(client.post("/v1/orders/o1/refunds", json=clash, headers=STORE), 409, "amount")
    missing = client.post("/v1/orders/nope/refunds", json=refund, headers=STORE)
    assert_problem(missing, 404, "order nope does not exist")
    whole = client.get("/v1/orders/o1", headers=auth("auditor")).json()
    assert len(whole["entries"]) == 8


def test_bad_orders_are_422_and_write_nothing(client: TestClient) -> None:
    network(client)
    load_seed_plan(client)
    for body, where in [
        (order("o", "ghost"), "buyer_id ghost is not a member"),
        (order("o", "customer", shared_by="ghost"), "shared_by ghost is not a member"),
        (order("o", "customer", 0), "body.amount"),
        (order("o", "customer", 10.5), "body.amount"),
        (order("o", "customer", "100"), "body.amount"),
        (order("o", "customer", currency="USD"), "pays in CNY"),
        (order("o", "customer", placed_at=-1), "body.placed_at"),
        ({**order("o", "customer"), "tip": 1}, "body.tip"),
    ]:
        assert_problem(client.post("/v1/orders", json=body, headers=STORE), 422, where)
    assert_problem(client.get("/v1/orders/o", headers=ADMIN), 404, "order o does not exist")


def test_one_order_posted_by_eight_clients_at_once_is_written_once(client: TestClient) -> None:
    network(client)
    load_seed_plan(client)
    body = order("rush", "sharer", shared_by="sharer")
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: client.post("/v1/orders", json=body, headers=STORE),
                                  range(8)))  # fmt: skip
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({json.dumps(r.json(), sort_keys=True) for r in responses}) == 1
    stored = client.get("/v1/ledger", params={"order_id": "rush"}, headers=ADMIN).json()["items"]
    answered = responses[0].json()["entries"]
    assert sorted(e["id"] for e in stored) == sorted(e["id"] for e in answered)


@pytest.mark.parametrize(("rule", "bonus_reversed"), [("keep", []), ("reverse", [-2000])])
def test_the_plan_decides_what_a_partial_refund_does_to_the_bonus(
    client: TestClient, store: CypherStore, rule: str, bonus_reversed: list[int]
) -> None:
    plan = {**SEED_PLAN, "bonus_on_partial_refund": rule}
    loaded = client.put(f"/v1/plans/{SEED_PLAN['version']}", json=plan, headers=ADMIN)
    assert loaded.status_code == 201, loaded.text
    network(client)
    posted = client.post("/v1/orders", json=order("o1", "sharer"), headers=STORE)
    assert ("referral_bonus", "mid", 2000) in [
        (e["kind"], e["beneficiary_id"], e["amount"]) for e in posted.json()["entries"]
    ]
    refund = {"id": "r1", "amount": 2_500, "refunded_at": JAN + 2 * DAY_MS}
    reversed_ = client.post("/v1/orders/o1/refunds", json=refund, headers=STORE).json()["entries"]
    assert [e["amount"] for e in reversed_ if e["kind"] == "referral_bonus"] == bonus_reversed
    # The rest of the order refunded: every entry nets to 0 either way.
    rest = {"id": "r2", "amount": 7_500, "refunded_at": JAN + 3 * DAY_MS}
    assert client.post("/v1/orders/o1/refunds", json=rest, headers=STORE).status_code == 201
    entries = client.get("/v1/ledger", params={"order_id": "o1"}, headers=ADMIN).json()["items"]
    assert sum(e["amount"] for e in entries if e["kind"] == "referral_bonus") == 0
    assert audit_ledger(store=store, ladder=DEFAULT_LADDER).differences == []
