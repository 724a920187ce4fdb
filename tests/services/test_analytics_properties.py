"""The analytics against plain-Python recomputations from their documented definitions
(README's API table, the models' field descriptions and app/domain/connectors.py's module
docstring), on random data full of ties: members who joined in the same millisecond, orders
placed at the same moment for the same amount, members without orders, refunds partial and
full. Every graph is built through the real store and services, on both backends; each
oracle below reads only the generated data."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import InvalidInput
from app.domain.connectors import WEIGHTS
from app.domain.groups import GroupCreate
from app.domain.members import NewMemberRow, PaidRow
from app.domain.simulation import TierProposal
from app.domain.tiers import TierLadder, TierStep
from app.services.analytics import get_cohorts, get_concentration
from app.services.connectors import run_connectors, top_connectors
from app.services.groups import add_member, create_group
from app.services.simulation import simulate_tiers
from app.store.cypher_store import CypherStore
from tests.services.test_analytics import buy, join
from tests.services.test_orders import refund
from tests.store.test_properties import reset

DAY = 86_400_000
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def utc(year: int, month: int, day: int = 1, *, ms_before: int = 0) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp()) * 1000 - ms_before


# --- cohorts and concentration: members who buy ---------------------------------------------

# Join instants on both sides of month ends; drawn with repetition, so joins tie.
JOINS = [utc(2025, 12, 15), utc(2026, 1, ms_before=1), utc(2026, 1), utc(2026, 1, 20),
         utc(2026, 2, ms_before=1), utc(2026, 2), utc(2026, 3, ms_before=1)]  # fmt: skip
# Purchase times after a join: at it, on both sides of 7 x 24 h and 30 x 24 h, and months on.
AFTER_JOIN = [0, 1, 7 * DAY, 7 * DAY + 1, 30 * DAY, 30 * DAY + 1, 31 * DAY, 59 * DAY,
              150 * DAY, 182 * DAY, 200 * DAY]  # fmt: skip
AMOUNTS = [100, 100, 250, 999]
# How an order is refunded: not, in part, in full at once, or in full in two parts.
REFUNDS = ["none", "part", "full", "two parts"]
COHORT_WINDOWS = [
    (utc(2025, 12), utc(2026, 3)),
    (utc(2026, 1), utc(2026, 2)),
    (utc(2026, 1, 20), utc(2026, 3)),
    (utc(2026, 1, ms_before=1), utc(2026, 2)),
]
SALES_WINDOWS = [
    (utc(2025, 12), utc(2027, 1)),
    (utc(2026, 1), utc(2026, 2)),
    (utc(2026, 1, ms_before=1), utc(2026, 3, 3)),
    (utc(2026, 2), utc(2026, 9)),
]


@dataclass(frozen=True)
class Order:
    id: str
    buyer: str
    amount: int
    currency: str
    placed_at: int
    refunds: tuple[int, ...]  # amounts, all refunded at refunded_at
    refunded_at: int


@dataclass(frozen=True)
class Shop:
    joined: dict[str, int]
    orders: tuple[Order, ...]

    def refunded(self, order: Order) -> int:
        return sum(order.refunds)


@st.composite
def shops(draw: st.DrawFn) -> Shop:
    joins = draw(st.lists(st.sampled_from(JOINS), min_size=1, max_size=10))
    joined = {f"m{n}": at for n, at in enumerate(joins)}
    orders = []
    for n in range(draw(st.integers(0, 14))):
        buyer = draw(st.sampled_from(sorted(joined)))
        amount = draw(st.sampled_from(AMOUNTS))
        placed_at = joined[buyer] + draw(st.sampled_from(AFTER_JOIN))
        refunds = {
            "none": (), "part": (amount // 3,), "full": (amount,),
            "two parts": (amount // 3, amount - amount // 3),
        }[draw(st.sampled_from(REFUNDS))]  # fmt: skip
        currency = draw(st.sampled_from(["CNY", "CNY", "USD"]))
        refunded_at = placed_at + draw(st.sampled_from([0, DAY]))
        orders.append(Order(f"o{n}", buyer, amount, currency, placed_at, refunds, refunded_at))
    return Shop(joined, tuple(orders))


def store_shop(store: CypherStore, shop: Shop) -> None:
    reset(store)
    for member, at in shop.joined.items():
        join(store, member, at)
    for order in shop.orders:
        buy(store, order.id, order.buyer, order.placed_at, order.amount, order.currency)
        for k, amount in enumerate(order.refunds):
            refund(store, order.id, f"{order.id}r{k}", amount, at=order.refunded_at)


def month_of(at: int) -> tuple[int, int]:
    moment = datetime.fromtimestamp(at / 1000, tz=UTC)
    return moment.year, moment.month


def months_after(month: tuple[int, int], count: int) -> tuple[int, int]:
    year, index = divmod(month[0] * 12 + month[1] - 1 + count, 12)
    return year, index + 1


def expected_cohorts(shop: Shop, from_: int, to: int) -> list[dict[str, Any]]:
    """Per UTC join month of the members who joined in [from_, to), oldest first: of its
    members, the share who bought (from the join up to the end of the sixth month after the
    join month) at all, in the next calendar month, in the sixth one, first within 7 x 24 h
    of joining and a second time within 30 x 24 h; a purchase is an order not refunded in
    full."""
    cohorts: dict[tuple[int, int], Counter[str]] = {}
    for member, joined in shop.joined.items():
        if not from_ <= joined < to:
            continue
        month = month_of(joined)
        horizon = months_after(month, 7)
        times = sorted(
            o.placed_at
            for o in shop.orders
            if o.buyer == member
            and shop.refunded(o) < o.amount
            and joined <= o.placed_at
            and month_of(o.placed_at) < horizon
        )
        bought_in = {month_of(t) for t in times}
        counts = cohorts.setdefault(month, Counter())
        counts["members"] += 1
        counts["buyers"] += bool(times)
        counts["next"] += months_after(month, 1) in bought_in
        counts["sixth"] += months_after(month, 6) in bought_in
        counts["first"] += bool(times) and times[0] - joined <= 7 * DAY
        counts["second"] += len(times) > 1 and times[1] - joined <= 30 * DAY
    return [
        {
            "month": f"{year:04d}-{month:02d}",
            "members": c["members"],
            "buyers": c["buyers"],
            "next_month_repurchase": c["next"] / c["members"],
            "six_month_repurchase": c["sixth"] / c["members"],
            "first_purchase_7d": c["first"] / c["members"],
            "second_purchase_30d": c["second"] / c["members"],
        }
        for (year, month), c in sorted(cohorts.items())
    ]


def expected_concentration(
    shop: Shop, from_: int, to: int, currency: str | None
) -> dict[str, Any] | None:
    """Net sales (amount less refunds) of the orders placed in [from_, to), credited to the
    buyer, in `currency` (or the only one sales were made in); the share of their total that
    the top ceil(20%) of the buyers with net sales > 0 made. None: sales were made in several
    currencies and none was named (an order refunded in full sold nothing)."""
    placed = [o for o in shop.orders if from_ <= o.placed_at < to]
    currencies = sorted({o.currency for o in placed if shop.refunded(o) < o.amount})
    if currency is None and len(currencies) > 1:
        return None
    chosen = currency or (currencies[0] if currencies else None)
    nets: Counter[str] = Counter()
    for o in placed:
        if o.currency == chosen:
            nets[o.buyer] += o.amount - shop.refunded(o)
    sales = sorted((net for net in nets.values() if net > 0), reverse=True)
    top = math.ceil(len(sales) / 5)
    share = sum(sales[:top]) / sum(sales) if sales else 0.0
    return {"currency": chosen, "members_with_sales": len(sales), "top20_share": share}


@pytest.mark.slow
@EXAMPLES
@given(shop=shops(), window=st.sampled_from(COHORT_WINDOWS))
def test_cohorts_count_every_member(
    store: CypherStore, shop: Shop, window: tuple[int, int]
) -> None:
    store_shop(store, shop)
    from_, to = window
    answer = get_cohorts(store=store, from_=from_, to=to, now=utc(2027, 1))
    assert [c.model_dump() for c in answer.cohorts] == expected_cohorts(shop, from_, to)


@pytest.mark.slow
@EXAMPLES
@given(
    shop=shops(),
    window=st.sampled_from(SALES_WINDOWS),
    currency=st.sampled_from([None, "CNY", "USD"]),
)
def test_concentration_nets_sales_per_buyer(
    store: CypherStore, shop: Shop, window: tuple[int, int], currency: str | None
) -> None:
    store_shop(store, shop)
    from_, to = window
    expected = expected_concentration(shop, from_, to, currency)
    if expected is None:
        with pytest.raises(InvalidInput, match="name one with currency"):
            get_concentration(store=store, from_=from_, to=to, now=utc(2027, 1))
        return
    answer = get_concentration(store=store, from_=from_, to=to, now=utc(2027, 1), currency=currency)
    assert answer.model_dump() == expected


# --- tiers and connectors: members who invite -------------------------------------------------

TIERS = ("bee", "butterfly", "peacock", "phoenix")
IN_FORCE = {"bee": 0, "butterfly": 1, "peacock": 2, "phoenix": 4}
LADDER = TierLadder(steps=tuple(TierStep(tier=t, min_paid_invites=n) for t, n in IN_FORCE.items()))
NOW = utc(2026, 6)
# Join instants counted back from NOW, on both sides of the 30- and 90-day edges.
JOINED_AGO = [0, 1, 29 * DAY, 30 * DAY, 30 * DAY - 1, 89 * DAY, 90 * DAY, 90 * DAY - 1, 200 * DAY]
CIRCLES = ("reading", "english", "parenting")


@dataclass(frozen=True)
class Member:
    id: str
    inviter: str | None
    joined_at: int
    paid_at: int | None
    circles: frozenset[str]


@dataclass(frozen=True)
class Network:
    members: tuple[Member, ...]

    def invitees(self, member: str) -> list[Member]:
        return [m for m in self.members if m.inviter == member]

    def downline(self, member: str) -> list[Member]:
        return [d for kid in self.invitees(member) for d in [kid, *self.downline(kid.id)]]

    def paid_invites(self, member: str) -> int:
        return sum(1 for kid in self.invitees(member) if kid.paid_at is not None)


@st.composite
def networks(draw: st.DrawFn) -> Network:
    """A forest whose inviters joined no later than their invitees (ties allowed), some
    members paid (some in the same millisecond), some in circles."""
    ago = sorted(draw(st.lists(st.sampled_from(JOINED_AGO), min_size=1, max_size=12)), reverse=True)
    members: list[Member] = []
    for n, ago_ms in enumerate(ago):
        inviter = (
            draw(st.one_of(st.none(), st.sampled_from([m.id for m in members]))) if n else None
        )
        joined_at = NOW - ago_ms
        paid_after = draw(st.one_of(st.none(), st.sampled_from([0, 1, DAY])))
        circles = draw(st.frozensets(st.sampled_from(CIRCLES), max_size=2))
        paid_at = None if paid_after is None else joined_at + paid_after
        members.append(Member(f"m{n:02}", inviter, joined_at, paid_at, circles))
    return Network(tuple(members))


def store_network(store: CypherStore, network: Network) -> None:
    reset(store)
    for m in network.members:
        row = NewMemberRow(id=m.id, inviter_id=m.inviter, name=None, joined_at=m.joined_at,
                           attributes_json=None)  # fmt: skip
        assert store.register_members([row], LADDER) == [m.id]
    marks = sorted(
        (PaidRow(id=m.id, paid_at=m.paid_at) for m in network.members if m.paid_at is not None),
        key=lambda row: row.paid_at,
    )
    assert sorted(store.mark_paid(marks, LADDER)) == sorted(row.id for row in marks)
    for circle in CIRCLES:
        request = GroupCreate.model_validate({"id": circle, "kind": "topic", "name": circle})
        create_group(store=store, request=request)
    for m in network.members:
        for circle in sorted(m.circles):
            assert add_member(store=store, group_id=circle, member_id=m.id)


def tier_under(thresholds: dict[str, int], paid: int) -> str:
    """The tier with the highest threshold that the paid invites reach."""
    return max((at, tier) for tier, at in thresholds.items() if at <= paid)[1]


@pytest.mark.slow
@EXAMPLES
@given(
    network=networks(),
    proposed=st.lists(st.integers(1, 6), min_size=3, max_size=3, unique=True).map(sorted),
)
def test_what_if_counts_and_moves_every_member(
    store: CypherStore, network: Network, proposed: list[int]
) -> None:
    store_network(store, network)
    thresholds = {"bee": 0} | dict(zip(TIERS[1:], proposed, strict=True))
    ladder = [{"tier": tier, "min_paid_invites": at} for tier, at in thresholds.items()]
    proposal = TierProposal.model_validate({"ladder": ladder, "period": {"from": 0, "to": 1}})
    answer = simulate_tiers(store=store, ladder=LADDER, proposal=proposal)

    paid = {m.id: network.paid_invites(m.id) for m in network.members}
    held = {m: (tier_under(IN_FORCE, n), tier_under(thresholds, n)) for m, n in paid.items()}
    assert answer.current == {t: sum(1 for now, _ in held.values() if now == t) for t in TIERS}
    assert answer.proposed == {t: sum(1 for _, then in held.values() if then == t) for t in TIERS}
    moves = Counter(pair for pair in held.values() if pair[0] != pair[1])
    assert [(m.from_, m.to, m.count) for m in answer.moves] == sorted(
        (now, then, count) for (now, then), count in moves.items()
    )
    for move in answer.moves:
        movers = {member for member, pair in held.items() if pair == (move.from_, move.to)}
        assert len(move.sample) == min(move.count, 20) and set(move.sample) <= movers


def expected_parts(network: Network, member: Member) -> dict[str, float]:
    """Every part but betweenness, as app/domain/connectors.py's docstring defines it."""
    below = network.downline(member.id)
    paid = network.paid_invites(member.id)
    recent = sum(1 for d in below if NOW - 30 * DAY < d.joined_at <= NOW)
    quarter = sum(1 for d in below if NOW - 90 * DAY < d.joined_at <= NOW)
    reached = set().union(*(d.circles for d in below)) - member.circles
    next_threshold = next(
        (s.min_paid_invites for s in LADDER.steps if s.min_paid_invites > paid), None
    )
    closeness = 0.0 if next_threshold is None else paid / next_threshold
    acceleration = min(recent / max(quarter / 3, 1), 2) / 2
    return {
        "paid_direct_invites": paid, "growth_30d": recent, "growth_90d": quarter,
        "circles_reached": len(reached), "rising": closeness * acceleration,
    }  # fmt: skip


def expected_scores(parts: dict[str, dict[str, float]]) -> dict[str, float]:
    """Each part divided by its largest value over the members (0 when that is 0), weighted."""
    top = {name: max(p[name] for p in parts.values()) for name in WEIGHTS}
    return {
        member: sum(WEIGHTS[name] * p[name] / top[name] for name in WEIGHTS if top[name] > 0)
        for member, p in parts.items()
    }


@pytest.mark.slow
@EXAMPLES
@given(network=networks())
def test_served_connector_parts_and_scores(store: CypherStore, network: Network) -> None:
    store_network(store, network)
    run_connectors(store=store, ladder=LADDER, now=NOW)
    items = top_connectors(store=store, limit=1000, circle=None, sort="score").items
    served = {item.member_id: item for item in items}
    assert set(served) == {m.id for m in network.members}
    for member in network.members:
        parts = served[member.id].parts.model_dump()
        assert parts == pytest.approx(
            {**expected_parts(network, member), "betweenness": parts["betweenness"]}, rel=1e-9
        )
    # The score from the parts (betweenness as served: networkx's tests define it).
    scores = expected_scores({m: item.parts.model_dump() for m, item in served.items()})
    assert [item.score for item in items] == pytest.approx([scores[i.member_id] for i in items])
    assert [item.member_id for item in items] == sorted(served, key=lambda m: (-served[m].score, m))
    assert [item.rank for item in items] == list(range(1, len(items) + 1))
