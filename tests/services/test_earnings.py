"""A member's earnings by kind, status and month, on both backends, figures by hand."""

from __future__ import annotations

import pytest

from app.core.errors import InvalidInput, NotFound
from app.domain.ledger import RefundCreate
from app.domain.plans import DAY_MS
from app.domain.tiers import DEFAULT_LADDER
from app.services.earnings import CurrencyEarnings, get_earnings
from app.services.orders import post_order, post_refund, release_due_entries
from app.services.plans import load_plan
from app.store.cypher_store import CypherStore
from tests.services.test_compliance import hand_entry, record_by_hand
from tests.services.test_orders import JAN, chain, order, plan

FEB = JAN + 31 * DAY_MS  # 2026-02-01T00:00Z
MAR = FEB + 28 * DAY_MS
APR = MAR + 31 * DAY_MS


def mids_ledger(store: CypherStore) -> None:
    """mid's entries: o1's distribution 200 (2026-01-31 23:59:59.999, released in February),
    o2's rebate 1000 (2026-02-01 00:00), o3's distribution 200 (held) and half of it
    reversed in March; and, in USD under the April plan, o4's rebate 150."""
    chain(store, "top", "mid", "a")
    chain(store, "customer", "loner")
    rules: list[dict[str, object]] = [
        {"kind": "self_rebate", "rate_bp": 500},
        {"kind": "sales_commission", "rate_bp": 1000},
        {"kind": "distribution", "level_rates_bp": [200, 100], "hold_days": 7},
    ]
    load_plan(store=store, ladder=DEFAULT_LADDER, plan=plan("p1", rules=rules), now=JAN)
    usd = plan("p2", effective_from=APR, currency="USD", rules=rules)
    load_plan(store=store, ladder=DEFAULT_LADDER, plan=usd, now=JAN)
    post = [
        (order("o1", "customer", shared_by="a", placed_at=FEB - 1), FEB - 1),
        (order("o2", "mid", 20_000, placed_at=FEB), FEB),
        (order("o3", "a", placed_at=FEB + 10 * DAY_MS), FEB + 10 * DAY_MS),
        (order("o4", "mid", 3000, currency="USD", placed_at=APR + DAY_MS), APR + DAY_MS),
    ]
    for request, at in post[:2]:
        post_order(store=store, ladder=DEFAULT_LADDER, request=request, now=at)
    # The holds of o1's and o2's distribution (mid 200, top 100; top 400) are over; o3's,
    # placed next, will still run at the end.
    assert release_due_entries(store=store, now=FEB + 8 * DAY_MS) == 3
    for request, at in post[2:]:
        post_order(store=store, ladder=DEFAULT_LADDER, request=request, now=at)
    post_refund(
        ladder=DEFAULT_LADDER,
        store=store,
        order_id="o3",
        request=RefundCreate(id="r3", amount=5000, refunded_at=MAR),
        now=MAR,
    )


def test_totals_by_kind_status_and_month_net_the_refund(store: CypherStore) -> None:
    mids_ledger(store)
    earned = get_earnings(store=store, member_id="mid")
    assert earned.member_id == "mid" and earned.from_ is None and earned.to is None
    assert earned.currencies == [
        CurrencyEarnings(
            currency="CNY",
            total=200 + 1000 + 200 - 100,
            entries=4,
            by_kind={"distribution": 200 + 200 - 100, "self_rebate": 1000},
            by_status={"available": 200 + 1000, "pending": 200 - 100},
            by_period={"2026-01": 200, "2026-02": 1000 + 200, "2026-03": -100},
        ),
        CurrencyEarnings(
            currency="USD",
            total=150,
            entries=1,
            by_kind={"self_rebate": 150},
            by_status={"available": 150},
            by_period={"2026-04": 150},
        ),
    ]


def test_the_window_is_from_inclusive_to_exclusive(store: CypherStore) -> None:
    mids_ledger(store)

    def cny_periods(from_: int | None = None, to: int | None = None) -> dict[str, int]:
        earned = get_earnings(store=store, member_id="mid", from_=from_, to=to)
        return next(c.by_period for c in earned.currencies if c.currency == "CNY")

    assert cny_periods(to=FEB) == {"2026-01": 200}
    assert cny_periods(from_=FEB) == {"2026-02": 1200, "2026-03": -100}
    assert cny_periods(from_=FEB - 1, to=FEB + 1) == {"2026-01": 200, "2026-02": 1000}
    assert cny_periods(from_=FEB + 1, to=MAR) == {"2026-02": 200}
    within = get_earnings(store=store, member_id="mid", from_=MAR + 1, to=APR)
    assert within.currencies == [] and (within.from_, within.to) == (MAR + 1, APR)


def test_no_entries_unknown_member_and_empty_window(store: CypherStore) -> None:
    mids_ledger(store)
    assert get_earnings(store=store, member_id="loner").currencies == []
    with pytest.raises(NotFound, match="member ghost does not exist"):
        get_earnings(store=store, member_id="ghost")
    with pytest.raises(InvalidInput, match=r"to \(1970-01-01T00:00:00.005Z\) must be after from"):
        get_earnings(store=store, member_id="mid", from_=5, to=5)


def test_sums_stay_exact_past_two_to_the_53(store: CypherStore) -> None:
    chain(store, "c0", "c1", "c2", "c3", "c4")
    # A double adds 2^53 - 1 and 2 up to 2^53 (or less): the query must not.
    record_by_hand(
        store,
        hand_entry("big", "c3", 2**53 - 1, ["c4", "c3"]),
        hand_entry("small", "c3", 2, ["c4", "c3"]),
    )
    [usd] = get_earnings(store=store, member_id="c3").currencies
    assert usd.total == usd.by_kind["distribution"] == usd.by_period["2026-04"] == 2**53 + 1
