"""Growth analytics over stored members and orders, on both backends: cohorts by join month
and sales concentration, with refunds, the window bounds and exact sums."""

from __future__ import annotations

import pytest

from app.core.errors import InvalidInput
from app.domain.analytics import DAY_MS, Cohort
from app.domain.members import NewMemberRow
from app.domain.tiers import DEFAULT_LADDER
from app.services.analytics import Concentration, get_cohorts, get_concentration
from app.services.orders import post_order
from app.store.cypher_store import CypherStore
from tests.services.test_orders import order, refund

JAN = 1_767_225_600_000  # 2026-01-01T00:00Z
FEB = JAN + 31 * DAY_MS
MAR = FEB + 28 * DAY_MS
JUL = JAN + 181 * DAY_MS
AUG = JUL + 31 * DAY_MS
DEC_2025 = JAN - 31 * DAY_MS
NOW = AUG + 100 * DAY_MS


def join(store: CypherStore, member: str, at: int) -> None:
    row = NewMemberRow(id=member, inviter_id=None, name=None, joined_at=at, attributes_json=None)
    assert store.register_members([row], DEFAULT_LADDER) == [member]


def buy(store: CypherStore, order_id: str, buyer: str, at: int, amount: int = 10_000,
        currency: str = "CNY") -> None:  # fmt: skip
    request = order(order_id, buyer, amount, placed_at=at, currency=currency)
    _, created = post_order(store=store, ladder=DEFAULT_LADDER, request=request, now=NOW)
    assert created


def test_cohorts_by_join_month(store: CypherStore) -> None:
    join(store, "a", JAN + 10 * DAY_MS)
    join(store, "b", JAN + 30 * DAY_MS)  # 2026-01-31
    join(store, "c", JAN + 12 * DAY_MS)
    join(store, "d", DEC_2025 + 5 * DAY_MS)  # before the window: her orders do not count
    join(store, "e", FEB + 9 * DAY_MS)
    join(store, "late", MAR)  # after the window
    buy(store, "a1", "a", JAN + 11 * DAY_MS)  # first purchase within 7 days
    buy(store, "a2", "a", JAN + 12 * DAY_MS)  # refunded in full: would be a second in 30 days
    refund(store, "a2", "ra2", 10_000, at=JAN + 13 * DAY_MS)
    buy(store, "a3", "a", FEB + 20 * DAY_MS)  # next month; day 41, no second in 30 days
    buy(store, "b1", "b", JUL + 3 * DAY_MS)  # sixth month, partly refunded: still a purchase
    refund(store, "b1", "rb1", 9_999, at=JUL + 4 * DAY_MS)
    buy(store, "b2", "b", AUG)  # past the sixth month
    buy(store, "d1", "d", JAN + DAY_MS)
    buy(store, "e1", "e", FEB + 16 * DAY_MS)  # exactly 7 x 24 h after joining
    buy(store, "e2", "e", FEB + 16 * DAY_MS + 1)  # a second within 30 days
    buy(store, "late1", "late", MAR)

    assert get_cohorts(store=store, from_=JAN, to=MAR).cohorts == [
        Cohort(month="2026-01", members=3, buyers=2, next_month_repurchase=1 / 3,
               six_month_repurchase=1 / 3, first_purchase_7d=1 / 3, second_purchase_30d=0.0),
        Cohort(month="2026-02", members=1, buyers=1, next_month_repurchase=0.0,
               six_month_repurchase=0.0, first_purchase_7d=1.0, second_purchase_30d=1.0),
    ]  # fmt: skip
    # `from` inclusive, `to` exclusive; months without joiners are left out.
    assert [c.month for c in get_cohorts(store=store, from_=JAN, to=MAR + 1).cohorts] == [
        "2026-01", "2026-02", "2026-03"]  # fmt: skip
    assert get_cohorts(store=store, from_=JAN + 10 * DAY_MS + 1, to=FEB).cohorts[0].members == 2
    assert get_cohorts(store=store, from_=MAR + 1, to=AUG).cohorts == []


def test_the_store_reads_purchases_only_up_to_the_horizon(store: CypherStore) -> None:
    join(store, "a", JAN)
    buy(store, "a1", "a", JAN)
    buy(store, "a2", "a", FEB)
    buy(store, "a3", "a", MAR)
    buy(store, "a4", "a", MAR + 1)  # refunded in full
    refund(store, "a4", "ra4", 10_000, at=MAR + 2)
    [(joined, purchases)] = store.cohort_members(JAN, FEB, MAR)
    assert (joined, sorted(purchases)) == (JAN, [JAN, FEB])
    assert store.cohort_members(JAN + 1, FEB, AUG) == []


@pytest.mark.parametrize(
    ("from_", "to", "detail"),
    [
        (FEB, FEB, "must be after"),
        (FEB, JAN, "must be after"),
        (JAN, JAN + 731 * DAY_MS, "more than 24 calendar months"),  # Jan 2026 .. Jan 2028
    ],
)
def test_cohort_window_is_checked(store: CypherStore, from_: int, to: int, detail: str) -> None:
    with pytest.raises(InvalidInput, match=detail):
        get_cohorts(store=store, from_=from_, to=to)


def test_a_window_of_exactly_24_months_is_allowed(store: CypherStore) -> None:
    two_years = JAN + 730 * DAY_MS  # 2028-01-01: Jan 2026 .. Dec 2027
    assert get_cohorts(store=store, from_=JAN, to=two_years).cohorts == []


def test_concentration_nets_refunds_per_buyer(store: CypherStore) -> None:
    for member in ("a", "b", "c", "d", "e", "f", "g"):
        join(store, member, JAN)
    buy(store, "a1", "a", FEB, 30_000)
    buy(store, "a2", "a", FEB + 1, 20_000)  # a: 50,000
    buy(store, "b1", "b", FEB, 40_000)
    refund(store, "b1", "rb1", 20_000, at=FEB + 5)  # b: 20,000 net
    buy(store, "c1", "c", FEB, 10_000)
    buy(store, "d1", "d", FEB, 10_000)
    buy(store, "e1", "e", FEB, 10_000)
    buy(store, "f1", "f", FEB, 10_000)
    refund(store, "f1", "rf1", 10_000, at=FEB + 5)  # f: nothing net, not a member with sales
    buy(store, "g1", "g", MAR, 99_000)  # outside the window
    buy(store, "c0", "c", JAN, 99_000)  # before it

    # 5 members with sales (100,000 in all): the top ceil(1.0) = 1 made 50,000.
    assert get_concentration(store=store, from_=FEB, to=MAR) == Concentration(
        currency="CNY", members_with_sales=5, top20_share=0.5
    )
    # With g's order too: 6 members, the top 2 (g 99,000 and a 50,000) of 199,000.
    wider = get_concentration(store=store, from_=FEB, to=MAR + 1)
    assert (wider.members_with_sales, wider.top20_share) == (6, 149_000 / 199_000)
    assert get_concentration(store=store, from_=AUG, to=NOW) == Concentration(
        currency=None, members_with_sales=0, top20_share=0.0
    )
    with pytest.raises(InvalidInput, match="must be after"):
        get_concentration(store=store, from_=FEB, to=FEB)


def test_concentration_wants_one_currency(store: CypherStore) -> None:
    join(store, "a", JAN)
    join(store, "b", JAN)
    buy(store, "a1", "a", FEB, 30_000)
    buy(store, "b1", "b", FEB, 10_000, currency="USD")
    buy(store, "b2", "b", FEB, 10_000)
    with pytest.raises(InvalidInput, match="CNY, USD"):
        get_concentration(store=store, from_=FEB, to=MAR)
    usd = get_concentration(store=store, from_=FEB, to=MAR, currency="USD")
    assert usd == Concentration(currency="USD", members_with_sales=1, top20_share=1.0)
    cny = get_concentration(store=store, from_=FEB, to=MAR, currency="CNY")
    assert (cny.members_with_sales, cny.top20_share) == (2, 0.75)


def test_net_sales_are_exact_past_two_to_the_53(store: CypherStore) -> None:
    join(store, "a", JAN)
    biggest = 10**15  # the largest order amount
    for n in range(11):
        buy(store, f"a{n}", "a", FEB + n, biggest - (n < 9))
    refund(store, "a10", "ra10", 2, at=FEB + 20)
    net = 9 * (biggest - 1) + biggest + biggest - 2  # 11e15 - 11: odd, past 2^53
    assert net > 2**53 and float(net) != net
    assert store.net_sales(FEB, MAR) == [("a", "CNY", net)]
