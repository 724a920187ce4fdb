"""The demo `serve --demo` loads: shaped like the sources' figures, dated relative to `now`,
every page's default window holding data, and new ids for a second load. Each figure is
recomputed in plain Python from what the store holds."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

import pytest

from app.core.errors import InvalidInput
from app.domain.groups import GroupKind
from app.domain.ledger import LedgerFilter
from app.domain.members import MemberRecord
from app.domain.simulation import TierProposal
from app.domain.tiers import DEFAULT_LADDER
from app.services.analytics import get_cohorts, get_concentration
from app.services.audit import audit_ledger
from app.services.connectors import top_connectors
from app.services.demo import HISTORY_DAYS, DemoLoaded, demo_world, load_demo
from app.services.ledger import list_ledger
from app.services.simulation import simulate_tiers
from app.services.tree import member_tree
from app.services.verify import verify_store
from app.store.cypher_store import CypherStore
from app.store.port import StoredOrder
from tests.engines import ROOT

DAY_MS = 86_400_000
# 02:00 UTC on the 2nd of a month: a start early in a month, as a real one may be, where the
# current month has had one day of orders.
NOW = int(datetime(2026, 12, 2, 2, 0, tzinfo=UTC).timestamp() * 1000)
SIZE = 1000
SEED_PLAN = ROOT / "examples" / "seed-plan.json"
PHOENIX = DEFAULT_LADDER.steps[-1]


def load(store: CypherStore, members: int = SIZE, now: int = NOW) -> DemoLoaded:
    return load_demo(
        store=store, ladder=DEFAULT_LADDER, plan_file=SEED_PLAN, members=members, now=now
    )


def every_member(store: CypherStore) -> list[MemberRecord]:
    return store.get_members([row.id for row in store.iter_forest()])


def month_of(epoch_ms: int) -> int:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.year * 12 + moment.month - 1


def month_start(month: int) -> int:
    return int(datetime(month // 12, month % 12 + 1, 1, tzinfo=UTC).timestamp() * 1000)


def share(hits: Iterable[bool]) -> float:
    values = list(hits)
    return sum(values) / len(values)


def test_the_same_seed_and_now_give_the_same_demo() -> None:
    first = demo_world(members=300, now=NOW, seed=3)
    assert first == demo_world(members=300, now=NOW, seed=3)
    assert first != demo_world(members=300, now=NOW, seed=4)
    later = demo_world(members=300, now=NOW + 30 * DAY_MS, seed=3)
    assert [m.joined_at - first.start for m in first.members] == [
        m.joined_at - later.start for m in later.members
    ]


def test_the_demo_looks_like_the_sources(store: CypherStore) -> None:
    loaded = load(store)
    assert loaded.prefix == "" and loaded.members == SIZE
    members = every_member(store)
    by_id = {member.id: member for member in members}
    orders = store.all_orders()
    assert len(members) == SIZE and len(orders) == loaded.orders

    check_joins(members)
    check_invitations(members)
    check_circles(store, by_id)
    check_orders(store, orders, by_id)
    check_cohorts(store, orders, members)
    check_sales_concentration(store, orders)
    check_training_allowance(store)
    check_pages(store, members)
    # Every entry is what the order service would have written, and every counter holds.
    assert audit_ledger(store=store, ladder=DEFAULT_LADDER).differences == []
    assert verify_store(store=store, ladder=DEFAULT_LADDER).problems == []


def check_joins(members: list[MemberRecord]) -> None:
    """Joins over the last 24 months, more of them every year; ~20% paid."""
    joined = sorted(member.joined_at for member in members)
    assert NOW - HISTORY_DAYS * DAY_MS <= joined[0] < NOW - (HISTORY_DAYS - 60) * DAY_MS
    assert NOW - 7 * DAY_MS < joined[-1] < NOW
    first_year = sum(1 for at in joined if at < NOW - 365 * DAY_MS)
    assert len(joined) - first_year > 1.8 * first_year
    last_quarter = sum(1 for at in joined if at >= NOW - 91 * DAY_MS)
    first_quarter = sum(1 for at in joined if at < joined[0] + 91 * DAY_MS)
    assert last_quarter > 2.5 * first_quarter
    paid = [(member.joined_at, member.paid_at) for member in members if member.paid_at]
    assert 0.17 <= len(paid) / len(members) <= 0.25
    assert all(joined_at < paid_at <= NOW for joined_at, paid_at in paid)


def check_invitations(members: list[MemberRecord]) -> None:
    """Heavy-tailed: most invite at most two, a few invite hundreds; a few pass phoenix."""
    invites = Counter(member.inviter_id for member in members if member.inviter_id)
    paid_invites = Counter(
        member.inviter_id for member in members if member.inviter_id and member.paid_at
    )
    assert share(invites[member.id] <= 2 for member in members) > 0.9
    top = sorted(invites.values(), reverse=True)
    assert top[0] >= 100
    # The top 1% of members made at least a quarter of the invitations.
    assert sum(top[: len(members) // 100]) >= 0.25 * sum(top)
    phoenixes = [m for m in members if paid_invites[m.id] >= PHOENIX.min_paid_invites]
    assert phoenixes
    assert {member.tier for member in phoenixes} == {PHOENIX.tier}
    assert any(member.tier not in ("bee", PHOENIX.tier) for member in members)


def check_circles(store: CypherStore, by_id: dict[str, MemberRecord]) -> None:
    """Topic, store and region circles of tens to hundreds; members in several."""
    memberships = store.connector_memberships()
    sizes = Counter(m.circle_id for m in memberships)
    circles = store.groups_by_id(sorted(sizes))
    assert {circle.kind for circle in circles} == {
        GroupKind.TOPIC,
        GroupKind.STORE,
        GroupKind.REGION,
    }
    assert all(circle.members_total == sizes[circle.id] for circle in circles)
    assert [c.name for c in circles if not 10 <= c.members_total <= 1000] == []
    assert any(circle.members_total >= 100 for circle in circles)
    names = {circle.name for circle in circles if circle.kind is GroupKind.TOPIC}
    assert {"Parenting", "Reading", "English"} <= names
    per_member = Counter(m.member_id for m in memberships)
    assert set(per_member) <= set(by_id)
    assert sum(1 for count in per_member.values() if count >= 2) > 0.25 * len(by_id)


def check_orders(
    store: CypherStore, orders: list[StoredOrder], by_id: dict[str, MemberRecord]
) -> None:
    """Never before the buyer (or sharer) joined, never after now; some shared, some
    refunded in part and some in full; every order priced by a plan."""
    for order in orders:
        assert by_id[order.buyer_id].joined_at <= order.placed_at <= NOW
        if order.shared_by is not None:
            assert by_id[order.shared_by].joined_at <= order.placed_at
        assert order.plan_version is not None
    shared = share(order.shared_by not in (None, order.buyer_id) for order in orders)
    assert 0.15 <= shared <= 0.45
    refunds = store.all_refunds()
    amount = {order.id: order.amount for order in orders}
    placed = {order.id: order.placed_at for order in orders}
    assert all(placed[r.order_id] <= r.refunded_at <= NOW for r in refunds)
    full = sum(1 for refund in refunds if refund.amount == amount[refund.order_id])
    assert 0 < full < len(refunds)
    assert 0.02 <= len(refunds) / len(orders) <= 0.1
    plans = store.plans()
    assert [plan.version for plan in plans] == ["demo", "2026-01"]
    assert plans[0].effective_from <= min(member.joined_at for member in by_id.values())
    commissions = list_ledger(
        store=store, where=LedgerFilter(kind="sales_commission"), cursor=None, limit=1
    )
    assert commissions.items


def purchases_by_buyer(orders: list[StoredOrder]) -> dict[str, list[int]]:
    """placed_at of every order not refunded in full, by buyer."""
    found: dict[str, list[int]] = {}
    for order in orders:
        if order.refunded < order.amount:
            found.setdefault(order.buyer_id, []).append(order.placed_at)
    return found


def check_cohorts(
    store: CypherStore, orders: list[StoredOrder], members: list[MemberRecord]
) -> None:
    """About half buy again the next calendar month, ~30% in the sixth; most first purchases
    within 7 days of joining."""
    bought = purchases_by_buyer(orders)
    months = {m.id: {month_of(at) for at in bought.get(m.id, [])} for m in members}
    current = month_of(NOW)

    def repurchase(after: int) -> float:
        cohort = [m for m in members if month_of(m.joined_at) + after < current]
        return share(month_of(m.joined_at) + after in months[m.id] for m in cohort)

    assert 0.4 <= repurchase(1) <= 0.6
    assert 0.22 <= repurchase(6) <= 0.38
    settled = [m for m in members if m.joined_at <= NOW - 7 * DAY_MS]
    first_week = share(
        min(bought[m.id]) - m.joined_at <= 7 * DAY_MS for m in settled if m.id in bought
    )
    assert first_week >= 0.7
    # The cohort chart's answer agrees with the recomputation.
    chart = get_cohorts(store=store, from_=None, to=None, now=NOW).cohorts
    assert len(chart) == 12 and chart[-1].month == "2026-12"
    total = sum(c.members for c in chart[:-2])
    weighted = sum(c.next_month_repurchase * c.members for c in chart[:-2]) / total
    assert 0.4 <= weighted <= 0.6


def check_sales_concentration(store: CypherStore, orders: list[StoredOrder]) -> None:
    """The top 20% of buyers make most of the sales."""
    net = Counter[str]()
    for order in orders:
        net[order.buyer_id] += order.amount - order.refunded
    sales = sorted((amount for amount in net.values() if amount > 0), reverse=True)
    top = math.ceil(len(sales) / 5)
    assert sum(sales[:top]) / sum(sales) >= 0.6
    recent = get_concentration(store=store, from_=None, to=None, now=NOW)
    assert recent.members_with_sales >= 50 and recent.top20_share >= 0.5


def check_training_allowance(store: CypherStore) -> None:
    """Phoenixes earn a training allowance this month and the last, which the what-if
    page (its default period: the current month) shows."""
    this_month = month_start(month_of(NOW))
    periods = [
        (this_month, month_start(month_of(NOW) + 1)),
        (month_start(month_of(NOW) - 1), this_month),
    ]
    for begin, end in periods:
        proposal = TierProposal.model_validate(
            {
                "ladder": [step.model_dump() for step in DEFAULT_LADDER.steps],
                "period": {"from": begin, "to": end},
            }
        )
        simulation = simulate_tiers(store=store, ladder=DEFAULT_LADDER, proposal=proposal)
        assert simulation.allowance_cost.current > 0
        assert simulation.current.get(PHOENIX.tier, 0) >= 1


def check_pages(store: CypherStore, members: list[MemberRecord]) -> None:
    """The ledger, the tree and the connectors open on data (the cohort chart, the
    concentration and the what-if are checked above)."""
    page = list_ledger(store=store, where=LedgerFilter(), cursor=None, limit=50)
    assert len(page.items) == 50 and page.next_cursor
    widest = max(members, key=lambda member: (member.direct_total, member.id))
    tree = member_tree(store=store, member_id=widest.id, depth=2, children_limit=50)
    assert len(tree.children) == 50 and tree.next_cursor
    connectors = top_connectors(store=store, limit=10, circle=None, sort="score")
    assert connectors.computed_at == NOW and len(connectors.items) == 10
    assert connectors.items[0].parts.circles_reached >= 3


def test_a_second_load_takes_ids_of_its_own(store: CypherStore) -> None:
    first = load(store, members=150)
    before = {member.id: member for member in every_member(store)}
    orders_before = {order.id: order for order in store.all_orders()}
    second = load(store, members=150, now=NOW + DAY_MS)
    assert (first.prefix, second.prefix) == ("", "d2-")
    after = every_member(store)
    assert len(after) == 300
    new = [member for member in after if member.id not in before]
    assert len(new) == 150 and all(member.id.startswith("d2-") for member in new)
    # The first load's members and orders are as they were (the second load's members
    # invite only among themselves, so no counter of the first changed).
    assert all(before[member.id] == member for member in after if member.id in before)
    orders = store.all_orders()
    assert len(orders) == first.orders + second.orders
    stored_first = {o.id: o for o in orders if o.id in orders_before}
    assert stored_first == orders_before
    assert all(o.id.startswith("d2-") for o in orders if o.id not in orders_before)
    # The plans in force stay as the first load left them.
    assert second.plans == first.plans == ["demo", "2026-01"]
    assert audit_ledger(store=store, ladder=DEFAULT_LADDER).differences == []


@pytest.mark.parametrize("members", [0, -1])
def test_a_demo_needs_members(members: int) -> None:
    with pytest.raises(InvalidInput, match="at least one member"):
        demo_world(members=members, now=NOW)
