"""The hold releaser, running on the real clock at a very short interval, raced against full
refunds posted through the API at the very moment each order's hold ends: whichever wins,
a refunded order leaves nothing payable, every reversal shares its original's status, and
the outbox holds one event per entry created and per entry released."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from app.api.main import create_app
from app.domain.ledger import LedgerEntry, OrderCreate
from app.domain.members import MemberCreate
from app.domain.plans import DAY_MS, Plan
from app.domain.tiers import DEFAULT_LADDER
from app.services.audit import audit_ledger
from app.services.members import register_member
from app.services.orders import post_order, release_due_entries
from app.services.plans import load_plan
from app.store.cypher_store import CypherStore
from tests.conftest import auth, make_settings

ORDERS = 48
SPACING_MS = 15  # holds end one after another, a releaser round or two apart
CLIENTS = 4


def network_with_orders_whose_holds_end_soon(store: CypherStore, now: int) -> list[int]:
    """top ← mid ← buyer k, a plan holding every reward for a day, and ORDERS orders (one
    per buyer: refunds of one buyer's orders take turns on her, which is not the race under
    test) placed a day ago, less a few seconds: their holds end one by one over the next
    seconds. Returns each order's hold end."""
    members = [("top", None), ("mid", "top")] + [(f"buyer{k}", "mid") for k in range(ORDERS)]
    for member, inviter in members:
        joining = MemberCreate(id=member, inviter_id=inviter, joined_at=1)
        register_member(store=store, ladder=DEFAULT_LADDER, request=joining, now=1)
    plan = Plan.model_validate(
        {
            "version": "v1",
            "effective_from": 0,
            "currency": "CNY",
            "max_levels": 2,
            "rate_ceiling_bp": 2000,
            "rules": [
                {"kind": "self_rebate", "rate_bp": 500, "hold_days": 1},
                {"kind": "distribution", "level_rates_bp": [200, 100], "hold_days": 1},
            ],
        }
    )
    load_plan(store=store, ladder=DEFAULT_LADDER, plan=plan, now=1)
    ends = []
    for k in range(ORDERS):
        end = now + 1500 + k * SPACING_MS
        request = OrderCreate(
            id=f"o{k}", buyer_id=f"buyer{k}", amount=10_000, currency="CNY", placed_at=end - DAY_MS
        )
        post_order(store=store, ladder=DEFAULT_LADDER, request=request, now=now)
        ends.append(end)
    return ends


def refund_at_its_release(client: TestClient, k: int, hold_end: int) -> int:
    time.sleep(max(0.0, hold_end / 1000 - time.time()))
    response = client.post(
        f"/v1/orders/o{k}/refunds",
        json={"id": f"r{k}", "amount": 10_000, "refunded_at": hold_end},
        headers=auth("storefront"),
    )
    return int(response.status_code)


def test_full_refunds_racing_the_releaser_leave_nothing_payable(store: CypherStore) -> None:
    now = int(time.time() * 1000)
    ends = network_with_orders_whose_holds_end_soon(store, now)
    settings = make_settings(release_interval_s=0.002)
    with (
        TestClient(create_app(settings, store=store)) as client,
        ThreadPoolExecutor(CLIENTS) as pool,
    ):
        codes = list(pool.map(lambda k: refund_at_its_release(client, k, ends[k]), range(ORDERS)))
    assert codes == [201] * ORDERS
    # Whatever the releaser did or did not get to, a later release changes nothing of that.
    release_due_entries(store=store, now=ends[-1] + DAY_MS)
    entries = store.entries_of_orders([f"o{k}" for k in range(ORDERS)])
    assert_refunded_orders_leave_nothing(entries)
    assert audit_ledger(store=store, ladder=DEFAULT_LADDER).differences == []
    assert_one_event_per_fact(store, entries)


def assert_one_event_per_fact(store: CypherStore, entries: list[LedgerEntry]) -> None:
    """Whichever statement released an entry (the releaser, or a refund that found its
    original released and wrote the reversal released), its webhook event was written once,
    and every entry's creation once: the outbox holds exactly the ledger's facts."""
    events = store.new_outbox_events(settled_before=2**62, limit=100_000)
    created = sorted(e.data["entry_id"] for e in events if e.type == "ledger.entry_created")
    released = sorted(e.data["entry_id"] for e in events if e.type == "ledger.entry_released")
    assert created == sorted(entry.id for entry in entries)
    assert released == sorted(entry.id for entry in entries if entry.released_at is not None)
    beneficiary = {entry.id: entry.beneficiary_id for entry in entries}
    assert all(e.member_id == beneficiary[e.data["entry_id"]] for e in events
               if e.type.startswith("ledger."))  # fmt: skip


def assert_refunded_orders_leave_nothing(entries: list[LedgerEntry]) -> None:
    status = {entry.id: entry.status for entry in entries}
    left: dict[tuple[str | None, str], int] = {}
    for entry in entries:
        if entry.reverses is not None:
            assert entry.status == status[entry.reverses], entry.id
        left[(entry.order_id, entry.status)] = left.get((entry.order_id, entry.status), 0)
        left[(entry.order_id, entry.status)] += entry.amount
    assert {key: amount for key, amount in left.items() if amount} == {}
    assert len(entries) == ORDERS * 3 * 2  # rebate and two levels, each reversed
