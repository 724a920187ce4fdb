"""Growth analytics over stored members and orders, on both backends: cohorts by join month
and sales concentration, with refunds, the window bounds and exact sums."""

from __future__ import annotations

from datetime import UTC, datetime

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


def utc(year: int, month: int, day: int = 1, hour: int = 0) -> int:
    return int(datetime(year, month, day, hour, tzinfo=UTC).timestamp()) * 1000


def month_of(at: int) -> str:
    return datetime.fromtimestamp(at / 1000, tz=UTC).strftime("%Y-%m")


MID_NOVEMBER = utc(2026, 11, 15, 12)  # the clock of the default-window tests


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

    assert get_cohorts(store=store, from_=JAN, to=MAR, now=NOW).cohorts == [
        Cohort(month="2026-01", members=3, buyers=2, next_month_repurchase=1 / 3,
               six_month_repurchase=1 / 3, first_purchase_7d=1 / 3, second_purchase_30d=0.0),
        Cohort(month="2026-02", members=1, buyers=1, next_month_repurchase=0.0,
               six_month_repurchase=0.0, first_purchase_7d=1.0, second_purchase_30d=1.0),
    ]  # fmt: skip
    # `from` inclusive, `to` exclusive; months without joiners are left out.
    assert [c.month for c in get_cohorts(store=store, from_=JAN, to=MAR + 1, now=NOW).cohorts] == [
        "2026-01", "2026-02", "2026-03"]  # fmt: skip
    narrower = get_cohorts(store=store, from_=JAN + 10 * DAY_MS + 1, to=FEB, now=NOW)
    assert narrower.cohorts[0].members == 2
    assert get_cohorts(store=store, from_=MAR + 1, to=AUG, now=NOW).cohorts == []


def test_members_who_joined_in_the_same_millisecond_are_each_counted(store: CypherStore) -> None:
    # Imports with day-resolution dates: three joiners at one instant, one order each.
    for member in ("a", "b", "c"):
        join(store, member, JAN + 5 * DAY_MS)
        buy(store, f"{member}1", member, JAN + 6 * DAY_MS)
    rows = store.cohort_members(JAN, FEB, MAR)
    assert rows == [(JAN + 5 * DAY_MS, [JAN + 6 * DAY_MS])] * 3
    assert get_cohorts(store=store, from_=JAN, to=FEB, now=NOW).cohorts == [
        Cohort(month="2026-01", members=3, buyers=3, next_month_repurchase=0.0,
               six_month_repurchase=0.0, first_purchase_7d=1.0, second_purchase_30d=0.0),
    ]  # fmt: skip


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
        get_cohorts(store=store, from_=from_, to=to, now=NOW)


def test_a_window_of_exactly_24_months_is_allowed(store: CypherStore) -> None:
    two_years = JAN + 730 * DAY_MS  # 2028-01-01: Jan 2026 .. Dec 2027
    assert get_cohorts(store=store, from_=JAN, to=two_years, now=NOW).cohorts == []


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
    assert get_concentration(store=store, from_=FEB, to=MAR, now=NOW) == Concentration(
        currency="CNY", members_with_sales=5, top20_share=0.5
    )
    # With g's order too: 6 members, the top 2 (g 99,000 and a 50,000) of 199,000.
    wider = get_concentration(store=store, from_=FEB, to=MAR + 1, now=NOW)
    assert (wider.members_with_sales, wider.top20_share) == (6, 149_000 / 199_000)
    assert get_concentration(store=store, from_=AUG, to=NOW, now=NOW) == Concentration(
        currency=None, members_with_sales=0, top20_share=0.0
    )
    with pytest.raises(InvalidInput, match="must be after"):
        get_concentration(store=store, from_=FEB, to=FEB, now=NOW)


def test_concentration_wants_one_currency(store: CypherStore) -> None:
    join(store, "a", JAN)
    join(store, "b", JAN)
    buy(store, "a1", "a", FEB, 30_000)
    buy(store, "b1", "b", FEB, 10_000, currency="USD")
    buy(store, "b2", "b", FEB, 10_000)
    with pytest.raises(InvalidInput, match="CNY, USD"):
        get_concentration(store=store, from_=FEB, to=MAR, now=NOW)
    usd = get_concentration(store=store, from_=FEB, to=MAR, now=NOW, currency="USD")
    assert usd == Concentration(currency="USD", members_with_sales=1, top20_share=1.0)
    cny = get_concentration(store=store, from_=FEB, to=MAR, now=NOW, currency="CNY")
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


@pytest.mark.parametrize(
    ("from_", "to", "start", "end"),
    [
        (None, None, utc(2025, 12), utc(2026, 12)),  # the last 12 months, this one included
        (None, utc(2026, 3), utc(2025, 3), utc(2026, 3)),  # 12 months before `to`
        (None, utc(2026, 3, 2), utc(2025, 4), utc(2026, 3, 2)),  # ... `to`'s own month counted
        (utc(2026, 1, 15), None, utc(2026, 1, 15), utc(2027, 1)),  # 12 months from `from`
    ],
)
def test_omitted_cohort_bounds_span_twelve_calendar_months(
    store: CypherStore, from_: int | None, to: int | None, start: int, end: int
) -> None:
    for member, at in (("before", start - 1), ("first", start), ("last", end - 1), ("after", end)):
        join(store, member, at)
    cohorts = get_cohorts(store=store, from_=from_, to=to, now=MID_NOVEMBER).cohorts
    assert [(c.month, c.members) for c in cohorts] == [(month_of(start), 1), (month_of(end - 1), 1)]


@pytest.mark.parametrize(
    ("from_", "to", "start", "end"),
    [
        (None, None, MID_NOVEMBER - 30 * DAY_MS + 1, MID_NOVEMBER + 1),  # now included
        (None, FEB, FEB - 30 * DAY_MS, FEB),
        (FEB, None, FEB, FEB + 30 * DAY_MS),
    ],
)
def test_omitted_concentration_bounds_span_thirty_days(
    store: CypherStore, from_: int | None, to: int | None, start: int, end: int
) -> None:
    for member, at, amount in (("before", start - 1, 1_000), ("first", start, 300),
                               ("last", end - 1, 100), ("after", end, 1_000)):  # fmt: skip
        join(store, member, DEC_2025)
        buy(store, f"{member}1", member, at, amount)
    assert get_concentration(store=store, from_=from_, to=to, now=MID_NOVEMBER) == Concentration(
        currency="CNY", members_with_sales=2, top20_share=0.75
    )
