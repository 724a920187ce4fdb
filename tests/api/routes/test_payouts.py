"""Payouts over HTTP on both backends: a month's batch drafted from the balances, approved,
exported and paid; a refund after the money went out (a clawback) carried as a negative
balance and netted by the next batch; failed transfers, retries and refusals; statements.
Every figure is computed by hand in the comments."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from app.domain.tiers import DEFAULT_LADDER
from app.services.audit import audit_ledger
from app.services.orders import release_due_entries
from app.store.cypher_store import CypherStore
from tests.api.routes.test_members import assert_problem, register
from tests.conftest import auth

ADMIN = auth("admin")
STORE = auth("storefront")
AUDITOR = auth("auditor")


def ms(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp() * 1000)


JAN, NOV, DEC, NEXT_JAN = ms(2026, 1, 1), ms(2026, 11, 1), ms(2026, 12, 1), ms(2027, 1, 1)
DAY = 86_400_000
# 10% back to the buyer, 5% to her inviter; both held 7 days.
PLAN = {
    "version": "payouts-1", "effective_from": JAN, "currency": "CNY", "max_levels": 1,
    "rate_ceiling_bp": 3000,
    "rules": [
        {"kind": "self_rebate", "rate_bp": 1000, "hold_days": 7},
        {"kind": "distribution", "level_rates_bp": [500], "hold_days": 7},
    ],
}  # fmt: skip


def buy(client: TestClient, order_id: str, buyer: str, amount: int, placed_at: int) -> None:
    body = {"id": order_id, "buyer_id": buyer, "amount": amount, "currency": "CNY",
            "placed_at": placed_at}  # fmt: skip
    answer = client.post("/v1/orders", json=body, headers=STORE)
    assert answer.status_code == 201, answer.text


def balance(client: TestClient, member_id: str) -> dict[str, int]:
    answer = client.get(f"/v1/members/{member_id}/balance", headers=STORE)
    assert answer.status_code == 200, answer.text
    (cny,) = answer.json()["balances"]
    return {k: cny[k] for k in ("pending", "available", "in_payout", "paid")}


def items(payout: dict[str, Any]) -> dict[str, tuple[int, list[str], str]]:
    return {i["member_id"]: (i["amount"], i["entry_ids"], i["status"]) for i in payout["items"]}


def a_paid_november(client: TestClient, clock: Callable[[int], None]) -> dict[str, Any]:
    """ann invited bea and cat. November: bea buys 10000, cat 30000, ann 5000. Paid Dec 2."""
    assert client.put("/v1/plans/payouts-1", json=PLAN, headers=ADMIN).status_code == 201
    register(client, "ann", name="Ann Lee")
    register(client, "bea", "ann", name="=Bea")  # a name a spreadsheet would run
    register(client, "cat", "ann", name="Cat")
    clock(NOV + 10 * DAY)
    buy(client, "o1", "bea", 10_000, NOV + DAY)  # bea 1000, ann 500
    buy(client, "o2", "cat", 30_000, NOV + 2 * DAY)  # cat 3000, ann 1500
    buy(client, "o3", "ann", 5_000, NOV + 3 * DAY)  # ann 500
    # Nov 11: o1's and o2's holds passed (Nov 9, Nov 10); o3's ends Nov 11 as well.
    assert balance(client, "ann") == {"pending": 0, "available": 2500, "in_payout": 0, "paid": 0}
    clock(DEC + DAY)
    batch = {"id": "2026-11", "as_of": DEC, "currency": "CNY", "minimum": 1000}
    drafted = client.post("/v1/payouts", json=batch, headers=ADMIN)
    assert drafted.status_code == 201, drafted.text
    payout: dict[str, Any] = drafted.json()
    assert payout["status"] == "draft" and payout["total"] == 2500 + 1000 + 3000
    assert items(payout) == {
        "ann": (2500, ["o:o1:1:1", "o:o2:1:1", "o:o3:0:0"], "open"),
        "bea": (1000, ["o:o1:0:0"], "open"),
        "cat": (3000, ["o:o2:0:0"], "open"),
    }
    assert balance(client, "ann") == {"pending": 0, "available": 0, "in_payout": 2500, "paid": 0}
    assert client.post("/v1/payouts", json=batch, headers=ADMIN).status_code == 200  # a retry
    assert client.post("/v1/payouts/2026-11/approve", headers=ADMIN).json()["status"] == "approved"
    exported = client.get("/v1/payouts/2026-11/export", headers=ADMIN)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [(r["member_id"], r["name"], r["amount"], r["reference"]) for r in rows] == [
        ("ann", "Ann Lee", "2500", "2026-11/ann"),
        ("bea", "'=Bea", "1000", "2026-11/bea"),
        ("cat", "Cat", "3000", "2026-11/cat"),
    ]
    assert client.get("/v1/payouts/2026-11/export", headers=ADMIN).content == exported.content
    clock(DEC + 2 * DAY)
    for member in ("ann", "bea", "cat"):
        paid = client.post(
            f"/v1/payouts/2026-11/items/{member}/paid", json={"reference": f"B-{member}"},
            headers=ADMIN,
        )  # fmt: skip
        assert paid.status_code == 200, paid.text
    final: dict[str, Any] = client.get("/v1/payouts/2026-11", headers=AUDITOR).json()
    assert final["status"] == "settled"
    assert [e["action"] for e in final["events"]] == [
        "create", "approve", "export", "paid", "paid", "paid"
    ]  # fmt: skip
    return final


def test_a_month_of_payouts_then_a_clawback_netted_by_the_next_batch(
    client: TestClient, store: CypherStore, clock: Callable[[int], None]
) -> None:
    a_paid_november(client, clock)
    assert balance(client, "cat") == {"pending": 0, "available": 0, "in_payout": 0, "paid": 3000}
    # Dec 3, after she was paid: cat's order is refunded in full. The reversals take back
    # cat's 3000 and ann's 1500, available at once (their originals were): clawbacks.
    clock(DEC + 3 * DAY)
    refund = {"id": "r2", "amount": 30_000, "refunded_at": DEC + 2 * DAY}
    assert client.post("/v1/orders/o2/refunds", json=refund, headers=STORE).status_code == 201
    assert balance(client, "cat") == {
        "pending": 0,
        "available": -3000,
        "in_payout": 0,
        "paid": 3000,
    }
    assert balance(client, "ann") == {
        "pending": 0,
        "available": -1500,
        "in_payout": 0,
        "paid": 2500,
    }
    # December: bea buys 20000 (bea 2000, ann 1000), cat 10000 (cat 1000, ann 500), ann
    # 30000 (ann 3000). Held until Dec 12-13.
    buy(client, "o4", "bea", 20_000, DEC + 4 * DAY)
    buy(client, "o5", "cat", 10_000, DEC + 5 * DAY)
    buy(client, "o6", "ann", 30_000, DEC + 6 * DAY)
    assert balance(client, "ann") == {
        "pending": 4500,
        "available": -1500,
        "in_payout": 0,
        "paid": 2500,
    }
    clock(NEXT_JAN + DAY)
    assert (
        release_due_entries(store=store, now=NEXT_JAN) == 5
    )  # the releaser: o4, o5 (two each), o6
    batch = {"id": "2026-12", "as_of": NEXT_JAN, "currency": "CNY", "minimum": 1000}
    drafted = client.post("/v1/payouts", json=batch, headers=ADMIN)
    assert drafted.status_code == 201, drafted.text
    # ann: -1500 + 1000 + 500 + 3000 = 3000, the clawback netted in; bea: 2000; cat:
    # -3000 + 1000 = -2000, still owed: skipped, her entries wait.
    assert items(drafted.json()) == {
        "ann": (3000, ["o:o4:1:1", "o:o5:1:1", "o:o6:0:0", "r:r2:1:1"], "open"),
        "bea": (2000, ["o:o4:0:0"], "open"),
    }
    assert [(s["member_id"], s["available"]) for s in drafted.json()["skipped"]] == [("cat", -2000)]
    assert "clawback" in drafted.json()["skipped"][0]["reason"]
    assert balance(client, "cat") == {
        "pending": 0,
        "available": -2000,
        "in_payout": 0,
        "paid": 3000,
    }
    assert audit_ledger(store=store, ladder=DEFAULT_LADDER).differences == []


def test_a_failed_transfer_returns_its_entries_to_the_next_batch(
    client: TestClient, store: CypherStore, clock: Callable[[int], None]
) -> None:
    assert client.put("/v1/plans/payouts-1", json=PLAN, headers=ADMIN).status_code == 201
    register(client, "ann")
    clock(NOV + 10 * DAY)
    buy(client, "o1", "ann", 50_000, NOV + DAY)  # ann 5000
    batch = {"id": "b1", "as_of": NOV + 10 * DAY, "currency": "CNY", "minimum": 100}
    assert client.post("/v1/payouts", json=batch, headers=ADMIN).status_code == 201
    # Marking before the export, exporting before the approval: refused, nothing moves.
    paid = {"reference": "X"}
    assert_problem(
        client.post("/v1/payouts/b1/items/ann/paid", json=paid, headers=ADMIN), 409, "export it"
    )
    assert_problem(client.get("/v1/payouts/b1/export", headers=ADMIN), 409, "approve it")
    client.post("/v1/payouts/b1/approve", headers=ADMIN)
    client.get("/v1/payouts/b1/export", headers=ADMIN)
    failed = client.post(
        "/v1/payouts/b1/items/ann/failed", json={"reason": "account closed"}, headers=ADMIN
    )
    assert failed.status_code == 200 and failed.json()["payout_status"] == "settled"
    item = failed.json()["item"]
    assert (item["amount"], item["entry_ids"], item["status"]) == (5000, ["o:o1:0:0"], "failed")
    again = client.post(
        "/v1/payouts/b1/items/ann/failed", json={"reason": "account closed"}, headers=ADMIN
    )
    assert again.status_code == 200  # a retry
    assert_problem(
        client.post("/v1/payouts/b1/items/ann/paid", json=paid, headers=ADMIN), 409, "failed"
    )
    assert balance(client, "ann") == {"pending": 0, "available": 5000, "in_payout": 0, "paid": 0}
    # The next batch pays the same entry.
    batch2 = {**batch, "id": "b2"}
    assert items(client.post("/v1/payouts", json=batch2, headers=ADMIN).json()) == {
        "ann": (5000, ["o:o1:0:0"], "open")
    }
    # A batch nobody reaches: no items; exported, it is settled at once.
    empty = {**batch, "id": "b3", "minimum": 10**9}
    assert client.post("/v1/payouts", json=empty, headers=ADMIN).json()["items"] == []
    client.post("/v1/payouts/b3/approve", headers=ADMIN)
    assert (
        client.get("/v1/payouts/b3/export", headers=ADMIN).text
        == "\ufeffmember_id,name,amount,currency,reference\r\n"
    )
    assert client.get("/v1/payouts/b3", headers=ADMIN).json()["status"] == "settled"
    assert audit_ledger(store=store, ladder=DEFAULT_LADDER).differences == []


def test_holds_statuses_and_bad_requests(client: TestClient, clock: Callable[[int], None]) -> None:
    assert client.put("/v1/plans/payouts-1", json=PLAN, headers=ADMIN).status_code == 201
    for member in ("ann", "bea", "cat"):
        register(client, member)
    clock(NOV + 10 * DAY)
    for member in ("ann", "bea", "cat"):
        buy(client, f"o-{member}", member, 50_000, NOV + DAY)
    status = {"change_id": "c1", "status": "terminated", "reason": "left"}
    assert client.post("/v1/members/bea/status", json=status, headers=ADMIN).status_code in (
        200,
        201,
    )
    erase = {"change_id": "c2", "reason": "asked"}
    assert client.post("/v1/members/cat/erasure", json=erase, headers=ADMIN).status_code in (
        200,
        201,
    )
    batch = {"id": "b1", "as_of": NOV + 10 * DAY, "currency": "CNY", "minimum": 100}
    drafted = client.post("/v1/payouts", json=batch, headers=ADMIN).json()
    assert list(items(drafted)) == ["ann"]
    assert {s["member_id"]: s["reason"].split(":")[0] for s in drafted["skipped"]} == {
        "bea": "terminated", "cat": "erased"
    }  # fmt: skip
    assert_problem(
        client.post("/v1/payouts", json={**batch, "minimum": 5}, headers=ADMIN), 409, "other terms"
    )
    future = {**batch, "id": "b2", "as_of": NOV + 11 * DAY}
    assert_problem(client.post("/v1/payouts", json=future, headers=ADMIN), 422, "future")
    for bad in ({**batch, "id": "b3", "minimum": 0}, {**batch, "id": "b3", "currency": "cny"},
                {**batch, "id": "b/3"}, {**batch, "id": "b3", "extra": 1}):  # fmt: skip
        assert client.post("/v1/payouts", json=bad, headers=ADMIN).status_code == 422
    assert_problem(client.get("/v1/payouts/nope", headers=ADMIN), 404, "nope")
    assert_problem(
        client.post("/v1/payouts/b1/items/zed/paid", json={"reference": "X"}, headers=ADMIN),
        404,
        "zed",
    )
    assert client.post("/v1/payouts", json={**batch, "id": "b4"}, headers=STORE).status_code == 403
    assert_problem(client.get("/v1/members/ghost/balance", headers=STORE), 404, "ghost")


def test_a_statement_shows_the_period_with_payouts_and_clawbacks(
    client: TestClient, clock: Callable[[int], None]
) -> None:
    a_paid_november(client, clock)
    clock(DEC + 3 * DAY)
    refund = {"id": "r2", "amount": 30_000, "refunded_at": DEC + 2 * DAY + 1}
    assert client.post("/v1/orders/o2/refunds", json=refund, headers=STORE).status_code == 201
    period = {"from": DEC, "to": NEXT_JAN}
    answer = client.get("/v1/members/ann/statement", params=period, headers=STORE)
    assert answer.status_code == 200, answer.text
    (cny,) = answer.json()["currencies"]
    # Owed 2500 on Dec 1 (November's entries); paid 2500 on Dec 2; 1500 clawed back after.
    assert (cny["opening"], cny["credits"], cny["debits"], cny["closing"]) == (
        2500,
        0,
        -4000,
        -1500,
    )
    assert [(line["kind"], line["amount"], line["balance"]) for line in cny["lines"]] == [
        ("payout", -2500, 0),
        ("distribution", -1500, -1500),
    ]
    assert cny["lines"][0]["reference"] == "B-ann"
    as_csv = client.get(
        "/v1/members/ann/statement", params=period, headers={**STORE, "Accept": "text/csv"}
    )
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert [(r["kind"], r["balance"]) for r in rows] == [
        ("opening", "2500"), ("payout", "0"), ("distribution", "-1500"), ("closing", "-1500")
    ]  # fmt: skip
    page = client.get(
        "/v1/members/ann/statement", params=period, headers={**STORE, "Accept": "text/html"}
    )
    assert page.headers["content-type"].startswith("text/html") and "Closing balance" in page.text
    assert_problem(
        client.get("/v1/members/ann/statement", params={"from": DEC, "to": NOV}, headers=STORE),
        422,
        "after",
    )


def test_batches_and_refunds_racing_never_pay_an_entry_twice(
    client: TestClient, store: CypherStore, clock: Callable[[int], None]
) -> None:
    assert client.put("/v1/plans/payouts-1", json=PLAN, headers=ADMIN).status_code == 201
    register(client, "ann")
    for k in range(6):
        register(client, f"m{k}", "ann")
    clock(NOV + 10 * DAY)
    for k in range(6):
        buy(client, f"o{k}", f"m{k}", 10_000 + k, NOV + DAY)
    answers: list[Any] = []

    def draft(batch_id: str) -> None:
        body = {"id": batch_id, "as_of": NOV + 10 * DAY, "currency": "CNY", "minimum": 1}
        answers.append(client.post("/v1/payouts", json=body, headers=ADMIN))

    def refund(k: int) -> None:
        body = {"id": f"r{k}", "amount": 10_000 + k, "refunded_at": NOV + 2 * DAY}
        answers.append(client.post(f"/v1/orders/o{k}/refunds", json=body, headers=STORE))

    threads = [threading.Thread(target=draft, args=(f"b{k}",)) for k in range(4)]
    threads += [threading.Thread(target=refund, args=(k,)) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer.status_code for answer in answers) == [201] * 7
    claimed = [
        entry
        for k in range(4)
        for item in client.get(f"/v1/payouts/b{k}", headers=ADMIN).json()["items"]
        for entry in item["entry_ids"]
    ]
    assert len(claimed) == len(set(claimed))  # no entry in two batches
    # Whatever the interleaving, every member's money is accounted for once: m0-m2 were
    # refunded (their rebates reversed, claimed or not), m3-m5 keep 1000 + k.
    for k in range(6):
        b = balance(client, f"m{k}")
        assert b["available"] + b["in_payout"] == (0 if k < 3 else 1000 + k // 10), b
    assert audit_ledger(store=store, ladder=DEFAULT_LADDER).differences == []


def test_a_member_on_hold_is_skipped_with_the_reason_until_released(
    client: TestClient, clock: Callable[[int], None]
) -> None:
    assert client.put("/v1/plans/payouts-1", json=PLAN, headers=ADMIN).status_code == 201
    register(client, "ann")
    clock(NOV + 10 * DAY)
    buy(client, "o1", "ann", 50_000, NOV + DAY)  # ann 5000
    hold = {"change_id": "h1", "reason": "shared payout account"}
    held = client.post("/v1/members/ann/hold", json=hold, headers=ADMIN)
    assert held.status_code == 200 and held.json() == {
        "member_id": "ann", "on_hold": True, "reason": "shared payout account"
    }  # fmt: skip
    assert client.post("/v1/members/ann/hold", json=hold, headers=ADMIN).json() == held.json()
    assert client.post("/v1/members/ann/hold", json=hold, headers=STORE).status_code == 403
    batch = {"id": "b1", "as_of": NOV + 10 * DAY, "currency": "CNY", "minimum": 100}
    drafted = client.post("/v1/payouts", json=batch, headers=ADMIN).json()
    assert drafted["items"] == []
    assert drafted["skipped"] == [
        {"member_id": "ann", "available": 5000, "reason": "on hold: shared payout account"}
    ]
    # Her entries keep accruing while she is held.
    buy(client, "o2", "ann", 10_000, NOV + 2 * DAY)
    assert balance(client, "ann")["available"] == 6000
    release = {"change_id": "h2", "reason": "review cleared"}
    freed = client.post("/v1/members/ann/hold/release", json=release, headers=ADMIN)
    assert freed.json() == {"member_id": "ann", "on_hold": False, "reason": None}
    again = client.post("/v1/payouts", json={**batch, "id": "b2"}, headers=ADMIN).json()
    assert items(again) == {"ann": (6000, ["o:o1:0:0", "o:o2:0:0"], "open")}
    history = client.get("/v1/members/ann/history", headers=ADMIN).json()["items"]
    assert [(c["kind"], c["reason"]) for c in history] == [
        ("hold", "shared payout account"), ("release", "review cleared")
    ]  # fmt: skip
    ghost = {"change_id": "h3", "reason": "r"}
    assert_problem(client.post("/v1/members/ghost/hold", json=ghost, headers=ADMIN), 404, "ghost")
    reused = {"change_id": "h1", "reason": "another"}
    assert client.post("/v1/members/ann/hold", json=reused, headers=ADMIN).status_code == 409
