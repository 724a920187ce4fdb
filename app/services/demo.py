"""The demo `serve --demo` loads: a community shaped like the sources (DESIGN.md), dated
relative to `now`, so that every page opens on something meaningful.

- Members join over the last 24 months, more of them every month (the last month brings
  GROWTH times as many as the first); ~20% pay the membership fee.
- Invitations are heavy-tailed: preferential attachment, plus a few key connectors (one per
  CONNECTOR_EVERY members) who invite ~30% of everyone, with invitees who pay more often,
  so a few members pass phoenix and earn a training allowance and several reach peacock.
- Circles of the three kinds (topic, store, region), tens to hundreds of members each,
  invitees mostly in their inviter's circles, members in several.
- Orders shaped like the sources' figures: most first purchases within 7 days of joining,
  about half of the members buying again the next calendar month and ~30% in the sixth,
  a heavy-tailed spend (the top fifth of buyers make most of the sales), some orders shared
  by the buyer's inviter or a circle friend (sales commission), some refunded in part or in
  full. No order before its buyer joined and none after `now`.
- The seed plan priced every order: a copy of it (version `demo`) takes effect at the start
  of the history when the seed plan's own start is later; both are loaded before anything
  else, because plans refuse to take effect retroactively.
- A connector run at the end, so the Connectors page has rankings.

The world is generated in plain Python (`demo_world`: the same seed and `now` give the same
world), then loaded through the services the API and the CLI use: the member import, the
group import, the plans, the order and refund services, the connector run.

Ids never collide with what the graph holds: a load uses the first run prefix ("" for the
first, then "d2-", "d3-", ...) under which none of its member, circle, order and refund ids
is taken. A graph that already has plans keeps them (a plan may not take effect before
orders already priced), and the demo's orders are priced by whatever is in force."""

from __future__ import annotations

import csv
import math
import random
import tempfile
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from app.core.errors import Conflict, InvalidInput
from app.domain.groups import GroupKind
from app.domain.ledger import OrderCreate, RefundCreate, plan_in_force
from app.domain.plans import DAY_MS, Plan
from app.domain.tiers import TierLadder
from app.services.connectors import run_connectors
from app.services.group_importer import import_groups
from app.services.importer import import_members
from app.services.orders import post_order, post_orders, post_refund
from app.services.plans import load_plan
from app.store.port import GraphStore

HOUR_MS = 3_600_000
HISTORY_DAYS = 730
# Joiners in the history's last month against its first.
GROWTH = 6.0
ROOT_SHARE = 0.01
# Key connectors: one per CONNECTOR_EVERY members (at least MIN_CONNECTORS), joined among
# the first CONNECTORS_AMONG of the members, inviting CONNECTOR_INVITE_SHARE of everyone;
# the k-th of them (from 1) weighs 1 / k ** CONNECTOR_ZIPF, so a few pass phoenix and
# several stop at peacock.
CONNECTOR_EVERY = 400
MIN_CONNECTORS = 3
CONNECTORS_AMONG = 0.15
CONNECTOR_INVITE_SHARE = 0.3
CONNECTOR_ZIPF = 0.8
# Who pays the membership fee: a key connector's invitees are recruited as paid members.
PAID_SHARE_CONNECTOR_INVITEES = 0.4
PAID_SHARE_OTHERS = 0.14
PAID_WITHIN_WEEK = 0.6
SHOPPERS = 0.9
FIRST_WITHIN_WEEK = 0.88
# Among shoppers: the chance to buy in the k-th calendar month after the join month
# (k = 1..6), then decaying by REPURCHASE_DECAY a month down to REPURCHASE_FLOOR (the members
# who stay). A loyal shopper buys LOYAL_FACTOR times as often, the others less, so that the
# mean stays the same. Tuned so that the cohorts show ~50% and ~30% (the sources' figures).
REPURCHASE = (0.5, 0.44, 0.4, 0.37, 0.35, 0.34)
REPURCHASE_DECAY = 0.75
REPURCHASE_FLOOR = 0.1
LOYAL_SHARE = 0.4
LOYAL_FACTOR = 1.5
# Spend: a Pareto scale per member (1.2: about 80/20), times a lognormal noise per order.
SPEND_ALPHA = 1.2
SPEND_CAP = 40.0
BASE_AMOUNT = 6_000  # minor units: 60 yuan
MIN_AMOUNT = 500
SHARED_BY_INVITER = 0.25
SHARED_BY_FRIEND = 0.05
REFUND_SHARE = 0.05
FULL_REFUND_SHARE = 0.4
DEMO_PLAN_VERSION = "demo"
ORDER_BATCH = 500
WRITERS = 3
MAX_RUNS = 1000

SURNAMES = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
    "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Luo", "Gao",
)  # fmt: skip
GIVEN_NAMES = (
    "Fang", "Na", "Min", "Jing", "Li", "Ying", "Hua", "Yan", "Xia", "Ping",
    "Hong", "Mei", "Lan", "Qing", "Yun", "Xue", "Ling", "Hui", "Juan", "Ting",
)  # fmt: skip
# (name, weight): a few big topics and a long tail, as chat groups are.
TOPICS = (
    ("Parenting", 10), ("Reading", 7), ("English", 6), ("Early education", 5),
    ("Baby sleep", 4), ("Toddler food", 4), ("Cooking", 3), ("Fitness", 3),
    ("Travel with kids", 2), ("Crafts", 2),
)  # fmt: skip
REGIONS = (
    ("Shanghai", 10), ("Beijing", 8), ("Guangzhou", 6), ("Shenzhen", 6),
    ("Hangzhou", 4), ("Chengdu", 4), ("Wuhan", 3), ("Nanjing", 3),
)  # fmt: skip
IN_A_REGION = 0.55
IN_A_STORE = 0.35  # of the members in a region
# The chance to follow 0, 1, 2 or 3 topics.
TOPIC_COUNTS = (0.45, 0.3, 0.17, 0.08)
FOLLOWS_INVITER = 0.7
STORE_EVERY = 300
MIN_STORES = 3


@dataclass(frozen=True, slots=True)
class DemoMember:
    inviter: int | None
    joined_at: int
    paid_at: int | None
    name: str


@dataclass(frozen=True, slots=True)
class DemoCircle:
    key: str
    kind: GroupKind
    name: str
    members: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class DemoRefund:
    amount: int
    refunded_at: int


@dataclass(frozen=True, slots=True)
class DemoOrder:
    buyer: int
    amount: int
    placed_at: int
    shared_by: int | None
    refund: DemoRefund | None


@dataclass(frozen=True)
class DemoWorld:
    """Members, circles and orders by index (ids come at load time); orders by placed_at."""

    start: int
    now: int
    members: tuple[DemoMember, ...]
    connectors: tuple[int, ...]
    circles: tuple[DemoCircle, ...]
    orders: tuple[DemoOrder, ...]


class DemoLoaded(BaseModel):
    """What a load wrote: the run prefix of its ids, what it created, and the plan versions
    in force after it."""

    prefix: str
    members: int
    paid: int
    circles: int
    memberships: int
    plans: list[str]
    orders: int
    refunds: int
    entries: int


# --- the world ------------------------------------------------------------------------


def demo_world(*, members: int, now: int, seed: int = 7) -> DemoWorld:
    """The demo community of `members` members as of `now` (epoch ms)."""
    if members < 1:
        raise InvalidInput("a demo needs at least one member", field="members")
    rng = random.Random(seed)
    start = now - HISTORY_DAYS * DAY_MS
    joined = _join_times(rng, members, start, now)
    connectors = _connector_rows(members)
    inviters = _inviters(rng, members, connectors)
    people = tuple(
        DemoMember(
            inviter=inviters[row],
            joined_at=joined[row],
            paid_at=_paid_at(rng, joined[row], now, row in connectors, inviters[row] in connectors),
            name=f"{SURNAMES[rng.randrange(len(SURNAMES))]} {rng.choice(GIVEN_NAMES)}",
        )
        for row in range(members)
    )
    circles = _circles(rng, inviters, set(connectors))
    orders = _orders(rng, people, circles, connectors, now)
    return DemoWorld(
        start=start,
        now=now,
        members=people,
        connectors=connectors,
        circles=circles,
        orders=orders,
    )


def _join_times(rng: random.Random, members: int, start: int, now: int) -> list[int]:
    """Sorted join times in [start, now) with a density growing GROWTH-fold over the span
    (the inverse of its distribution applied to sorted uniforms)."""
    span = now - start
    draws = sorted(rng.random() for _ in range(members))
    log_growth = math.log(GROWTH)
    return [
        min(now - 1, start + int(span * math.log1p(u * (GROWTH - 1)) / log_growth)) for u in draws
    ]


def _connector_rows(members: int) -> tuple[int, ...]:
    """The key connectors' rows, biggest first."""
    if members < 10:
        return ()
    count = max(MIN_CONNECTORS, members // CONNECTOR_EVERY)
    return tuple(1 + int(k * members * CONNECTORS_AMONG / count) for k in range(count))


def _inviters(rng: random.Random, members: int, connectors: Sequence[int]) -> list[int | None]:
    """Each row's inviter (an earlier row), None for a root. Ordinary invitations go by
    preferential attachment (a member's chance grows with her invitees so far: the heavy
    tail); a CONNECTOR_INVITE_SHARE of them go to the key connectors who already joined."""
    inviters: list[int | None] = []
    tickets: list[int] = []
    joined_connectors: list[int] = []
    weights: list[float] = []
    connector_set = set(connectors)
    for row in range(members):
        inviter: int | None
        if row == 0 or rng.random() < ROOT_SHARE:
            inviter = None
        elif joined_connectors and rng.random() < CONNECTOR_INVITE_SHARE:
            inviter = rng.choices(joined_connectors, weights)[0]
        else:
            inviter = tickets[rng.randrange(len(tickets))]  # row 0 is always there
        inviters.append(inviter)
        if row in connector_set:
            joined_connectors.append(row)
            weights.append(1 / len(joined_connectors) ** CONNECTOR_ZIPF)
            continue
        tickets.append(row)
        if inviter is not None and inviter not in connector_set:
            tickets.append(inviter)
    return inviters


def _paid_at(
    rng: random.Random, joined_at: int, now: int, connector: bool, by_connector: bool
) -> int | None:
    """When she paid the membership fee; None: not (yet) paid by `now`. A key connector is a
    paid member from the start."""
    if connector:
        paid_at = joined_at + 60_000
    elif rng.random() >= (PAID_SHARE_CONNECTOR_INVITEES if by_connector else PAID_SHARE_OTHERS):
        return None
    elif rng.random() < PAID_WITHIN_WEEK:
        paid_at = joined_at + rng.randint(60_000, 7 * DAY_MS)
    else:
        paid_at = joined_at + rng.randint(7 * DAY_MS, 90 * DAY_MS)
    return paid_at if paid_at <= now else None


def _circles(
    rng: random.Random, inviters: Sequence[int | None], connectors: set[int]
) -> tuple[DemoCircle, ...]:
    """Topic, store and region circles. An invitee mostly joins her inviter's region, store
    and topics (people invite their own circles); a key connector's invitees come from
    everywhere, which is what makes her a connector of circles."""
    stores = _store_regions(len(inviters))
    region: list[int | None] = []
    store: list[int | None] = []
    topics: list[tuple[int, ...]] = []
    for row, inviter in enumerate(inviters):
        follows = inviter if inviter is not None and inviter not in connectors else None
        her_region = _pick_region(rng, None if follows is None else region[follows])
        local = [index for index, city in enumerate(stores) if city == her_region]
        her_store = None
        if local and rng.random() < IN_A_STORE:
            inviter_store = None if follows is None else store[follows]
            if inviter_store in local and rng.random() < FOLLOWS_INVITER:
                her_store = inviter_store
            else:
                her_store = rng.choice(local)
        inviter_topics = () if follows is None else topics[follows]
        region.append(her_region)
        store.append(her_store)
        topics.append(_pick_topics(rng, inviter_topics, connector=row in connectors))
    circles = [
        DemoCircle(
            f"topic-{_slug(name)}",
            GroupKind.TOPIC,
            name,
            tuple(row for row, mine in enumerate(topics) if index in mine),
        )
        for index, (name, _) in enumerate(TOPICS)
    ]
    circles += [
        DemoCircle(
            f"region-{_slug(name)}",
            GroupKind.REGION,
            name,
            tuple(row for row, mine in enumerate(region) if mine == index),
        )
        for index, (name, _) in enumerate(REGIONS)
    ]
    circles += [
        DemoCircle(
            f"store-{_slug(REGIONS[city][0])}-{index // len(REGIONS) + 1}",
            GroupKind.STORE,
            f"{REGIONS[city][0]} store {index // len(REGIONS) + 1}",
            tuple(row for row, mine in enumerate(store) if mine == index),
        )
        for index, city in enumerate(stores)
    ]
    return tuple(circle for circle in circles if circle.members)


def _store_regions(members: int) -> list[int]:
    """The region of each store: one per STORE_EVERY members (at least MIN_STORES), opened
    in the biggest cities first."""
    count = max(MIN_STORES, members // STORE_EVERY)
    return [index % len(REGIONS) for index in range(count)]


def _pick_region(rng: random.Random, inviter_region: int | None) -> int | None:
    if rng.random() >= IN_A_REGION:
        return None
    if inviter_region is not None and rng.random() < FOLLOWS_INVITER:
        return inviter_region
    return _weighted(rng, [weight for _, weight in REGIONS])


def _pick_topics(
    rng: random.Random, inviter_topics: tuple[int, ...], *, connector: bool
) -> tuple[int, ...]:
    # A key connector runs several topic groups.
    count = 4 if connector else _weighted(rng, TOPIC_COUNTS)
    chosen: set[int] = set()
    for _ in range(count):
        if inviter_topics and rng.random() < FOLLOWS_INVITER:
            chosen.add(rng.choice(inviter_topics))
        else:
            chosen.add(_weighted(rng, [weight for _, weight in TOPICS]))
    return tuple(sorted(chosen))


def _weighted(rng: random.Random, weights: Sequence[float]) -> int:
    """An index drawn with the given weights."""
    return rng.choices(range(len(weights)), weights)[0]


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def _orders(
    rng: random.Random,
    people: Sequence[DemoMember],
    circles: Sequence[DemoCircle],
    connectors: Sequence[int],
    now: int,
) -> tuple[DemoOrder, ...]:
    """Every member's orders, by placed_at (then buyer)."""
    index = _CircleIndex.of(people, circles)
    orders: list[DemoOrder] = []
    for buyer, member in enumerate(people):
        bought = _purchases(rng, member.joined_at, now, connector=buyer in connectors)
        for placed_at, amount in bought:
            shared_by = _sharer(rng, buyer, member, index, placed_at)
            refund = _refund(rng, amount, placed_at, now)
            orders.append(DemoOrder(buyer, amount, placed_at, shared_by, refund))
    orders += _this_month(rng, people, connectors, now)
    return tuple(sorted(orders, key=lambda order: (order.placed_at, order.buyer)))


@dataclass(frozen=True)
class _CircleIndex:
    """Each member's circles (indexes), and each circle's members with their join times."""

    of_member: list[list[int]]
    members: list[tuple[int, ...]]
    joined: list[list[int]]

    @classmethod
    def of(cls, people: Sequence[DemoMember], circles: Sequence[DemoCircle]) -> _CircleIndex:
        of_member: list[list[int]] = [[] for _ in people]
        for index, circle in enumerate(circles):
            for row in circle.members:
                of_member[row].append(index)
        return cls(
            of_member=of_member,
            members=[circle.members for circle in circles],
            joined=[[people[row].joined_at for row in circle.members] for circle in circles],
        )


def _purchases(
    rng: random.Random, joined_at: int, now: int, *, connector: bool
) -> list[tuple[int, int]]:
    """(placed_at, amount) of one member's purchases up to `now`. A key connector is a loyal
    shopper: she sells what she uses."""
    shopper = rng.random() < SHOPPERS
    loyal = rng.random() < LOYAL_SHARE
    if not (shopper or connector):
        return []
    loyalty = LOYAL_FACTOR if loyal or connector else _casual_factor()
    scale = min(rng.paretovariate(SPEND_ALPHA), SPEND_CAP)
    times: list[int] = []
    if rng.random() < FIRST_WITHIN_WEEK:
        first = joined_at + int(rng.expovariate(1 / (1.5 * DAY_MS)) % (7 * DAY_MS))
    else:
        first = joined_at + rng.randint(7 * DAY_MS + 1, 45 * DAY_MS)
    if first <= now:
        times.append(first)
    for after, (month_from, month_to) in enumerate(_months_after(joined_at, now), start=1):
        # A month still running has had only part of its chance so far.
        elapsed = (month_to - month_from + 1) / _month_length(month_from)
        if rng.random() >= min(0.95, _repurchase(after) * loyalty) * elapsed:
            continue
        times.append(rng.randint(month_from, month_to))
        if rng.random() < min(0.6, 0.1 * scale):  # big spenders also buy more often
            times.append(rng.randint(month_from, month_to))
    return [(at, _amount(rng, scale)) for at in sorted(times)]


def _casual_factor() -> float:
    """What a casual shopper's chance is multiplied by, so the mean factor is 1."""
    return (1 - LOYAL_SHARE * LOYAL_FACTOR) / (1 - LOYAL_SHARE)


def _repurchase(after: int) -> float:
    if after <= len(REPURCHASE):
        return REPURCHASE[after - 1]
    return max(REPURCHASE_FLOOR, REPURCHASE[-1] * REPURCHASE_DECAY ** (after - len(REPURCHASE)))


def _months_after(joined_at: int, now: int) -> Iterator[tuple[int, int]]:
    """[first ms, last ms] of each calendar month after the join month, the last one cut
    at `now`."""
    month = _month_of(joined_at) + 1
    while (begin := _month_start(month)) <= now:
        yield begin, min(_month_start(month + 1) - 1, now)
        month += 1


def _month_of(epoch_ms: int) -> int:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.year * 12 + moment.month - 1


def _month_start(month: int) -> int:
    year, index = divmod(month, 12)
    return int(datetime(year, index + 1, 1, tzinfo=UTC).timestamp()) * 1000


def _month_length(month_start: int) -> int:
    return _month_start(_month_of(month_start) + 1) - month_start


def _amount(rng: random.Random, scale: float) -> int:
    return max(MIN_AMOUNT, int(BASE_AMOUNT * scale * rng.lognormvariate(0, 0.5)))


def _sharer(
    rng: random.Random,
    buyer: int,
    member: DemoMember,
    circles: _CircleIndex,
    placed_at: int,
) -> int | None:
    """Who shared the product link that sold it, if anyone: mostly her inviter, sometimes a
    friend from one of her circles who had joined by then."""
    draw = rng.random()
    if member.inviter is not None and draw < SHARED_BY_INVITER:
        return member.inviter
    mine = circles.of_member[buyer]
    if not mine or draw < 1 - SHARED_BY_FRIEND:
        return None
    circle = rng.choice(mine)
    # Circle members are in join order: those below this bound had joined by placed_at.
    joined = bisect_right(circles.joined[circle], placed_at)
    friend = circles.members[circle][rng.randrange(joined)] if joined else buyer
    return friend if friend != buyer else None


def _refund(rng: random.Random, amount: int, placed_at: int, now: int) -> DemoRefund | None:
    if rng.random() >= REFUND_SHARE:
        return None
    refunded = (
        amount if rng.random() < FULL_REFUND_SHARE else max(1, int(amount * rng.uniform(0.1, 0.6)))
    )
    return DemoRefund(refunded, min(now, placed_at + rng.randint(HOUR_MS, 14 * DAY_MS)))


def _this_month(
    rng: random.Random, people: Sequence[DemoMember], connectors: Sequence[int], now: int
) -> list[DemoOrder]:
    """An order by each key connector's latest invitee placed within the current calendar
    month, so that the month's training allowance is never empty, even on its first day."""
    latest: dict[int, int] = {}
    for row, member in enumerate(people):
        if member.inviter is not None and member.inviter in connectors:
            latest[member.inviter] = row
    month_from = _month_start(_month_of(now))
    orders = []
    for connector in connectors:
        if connector not in latest:
            continue
        buyer = latest[connector]
        placed_at = rng.randint(max(month_from, people[buyer].joined_at), now)
        orders.append(DemoOrder(buyer, _amount(rng, 1.0), placed_at, None, None))
    return orders


# --- loading --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ids:
    """The ids a load gives the world's members, circles, orders and refunds."""

    prefix: str

    def member(self, row: int) -> str:
        return f"{self.prefix}m{row}"

    def circle(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def order(self, index: int) -> str:
        return f"{self.prefix}o{index}"

    def refund(self, index: int) -> str:
        return f"{self.prefix}o{index}-refund"


def load_demo(
    *,
    store: GraphStore,
    ladder: TierLadder,
    plan_file: Path,
    members: int,
    now: int,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
) -> DemoLoaded:
    """Generates the demo world as of `now` and loads it: plans, members, circles, orders
    and refunds, then a connector run. Returns what it loaded."""
    say = progress or (lambda _stage: None)
    world = demo_world(members=members, now=now, seed=seed)
    ids = _Ids(demo_prefix(store, world))
    say("plans")
    seed_plan = Plan.model_validate_json(plan_file.read_text())
    plans = _load_plans(store, ladder, seed_plan, world)
    with tempfile.TemporaryDirectory() as folder:
        say("members")
        members_csv = _members_csv(world, ids, Path(folder) / "members.csv")
        report = import_members(store=store, ladder=ladder, source=members_csv, now=now)
        say("circles")
        circles_csv = _circles_csv(world, ids, Path(folder) / "circles.csv")
        groups = import_groups(store=store, source=circles_csv)
    say("orders")
    entries = _post_history(store, ladder, world, ids, plans, seed_plan.currency)
    say("connectors")
    run_connectors(store=store, ladder=ladder, now=now)
    # Thousands of orders are a long write log; folded into a snapshot, a restart loads fast.
    store.compact()
    return DemoLoaded(
        prefix=ids.prefix,
        members=report.created,
        paid=report.marked_paid,
        circles=groups.groups_created,
        memberships=groups.memberships_added,
        plans=[plan.version for plan in plans],
        orders=len(world.orders),
        refunds=sum(order.refund is not None for order in world.orders),
        entries=entries,
    )


def demo_prefix(store: GraphStore, world: DemoWorld) -> str:
    """The first run prefix ("", then "d2-", "d3-", ...) under which none of the world's
    member, circle, order and refund ids is in the graph."""
    for run in range(1, MAX_RUNS + 1):
        ids = _Ids("" if run == 1 else f"d{run}-")
        if not _taken(store, world, ids):
            return ids.prefix
    raise InvalidInput(f"the graph already holds {MAX_RUNS} demos")


def _taken(store: GraphStore, world: DemoWorld, ids: _Ids) -> bool:
    orders = range(len(world.orders))
    refunds = [i for i, order in enumerate(world.orders) if order.refund is not None]
    return bool(
        store.get_members([ids.member(row) for row in range(len(world.members))])
        or store.groups_by_id([ids.circle(circle.key) for circle in world.circles])
        or store.orders_by_id([ids.order(i) for i in orders])
        or store.refunds_by_id([ids.refund(i) for i in refunds])
    )


def _load_plans(
    store: GraphStore, ladder: TierLadder, seed_plan: Plan, world: DemoWorld
) -> list[Plan]:
    """Into a graph without plans: the seed plan, preceded by a copy of it (version `demo`)
    in force from the history's start when the seed plan starts later, so that every order
    is priced. A graph with plans keeps them, and one a plan would take effect retroactively
    in gets none. Returns the plans in force afterwards."""
    if store.plans():
        return store.plans()
    plans = [seed_plan]
    if seed_plan.effective_from > world.start:
        copy = seed_plan.model_dump(exclude_unset=True)
        copy.update(version=DEMO_PLAN_VERSION, effective_from=world.start)
        plans.insert(0, Plan.model_validate(copy))
    for plan in plans:
        try:
            load_plan(store=store, ladder=ladder, plan=plan, now=world.now)
        except Conflict:  # orders already priced after its start: it would re-price them
            continue
    return store.plans()


def _members_csv(world: DemoWorld, ids: _Ids, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("id", "inviter_id", "joined_at", "paid_at", "name"))
        for row, member in enumerate(world.members):
            inviter = "" if member.inviter is None else ids.member(member.inviter)
            paid_at = "" if member.paid_at is None else member.paid_at
            writer.writerow((ids.member(row), inviter, member.joined_at, paid_at, member.name))
    return path


def _circles_csv(world: DemoWorld, ids: _Ids, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("group_id", "kind", "name", "member_id"))
        for circle in world.circles:
            for row in circle.members:
                writer.writerow(
                    (ids.circle(circle.key), circle.kind.value, circle.name, ids.member(row))
                )
    return path


def _post_history(
    store: GraphStore,
    ladder: TierLadder,
    world: DemoWorld,
    ids: _Ids,
    plans: list[Plan],
    currency: str,
) -> int:
    """Posts the orders and refunds, each buyer's in the order they happened, on WRITERS
    threads that each own a share of the buyers; returns the ledger entries written.

    What the ledger grants for an order depends on the graph (fixed by now) and on the
    buyer's own earlier orders and refunds only, so splitting by buyer gives the ledger a
    single writer would; the threads overlap their round trips, which are most of the
    demo's load time."""
    # (time, refund?, order index): an order before a refund at the same millisecond.
    events = sorted(
        [(order.placed_at, False, i) for i, order in enumerate(world.orders)]
        + [
            (order.refund.refunded_at, True, i)
            for i, order in enumerate(world.orders)
            if order.refund is not None
        ]
    )
    shares: list[list[tuple[int, bool, int]]] = [[] for _ in range(WRITERS)]
    for event in events:
        shares[world.orders[event[2]].buyer % WRITERS].append(event)
    with ThreadPoolExecutor(WRITERS, thread_name_prefix="demo-orders") as pool:
        posted = pool.map(
            lambda share: _post_events(store, ladder, world, ids, plans, currency, share), shares
        )
        return sum(posted)


def _post_events(
    store: GraphStore,
    ladder: TierLadder,
    world: DemoWorld,
    ids: _Ids,
    plans: list[Plan],
    currency: str,
    events: Sequence[tuple[int, bool, int]],
) -> int:
    """Posts one writer's share of the events in order; returns the entries written."""
    run = _OrderRun(store, ladder, world.now)
    for _, refund, index in events:
        if refund:
            run.flush()
            run.entries += _post_refund(store, ladder, world, ids, index)
        else:
            run.add(_order_request(ids, index, world.orders[index], plans, currency))
    run.flush()
    return run.entries


@dataclass
class _OrderRun:
    """Orders waiting to be posted together (`post_orders`: one read of the plans and of
    their contexts for the run, where posting one by one read them for every order, most of
    the demo's load time). A refund, a buyer already in the run or a full run posts it
    first."""

    store: GraphStore
    ladder: TierLadder
    now: int
    orders: list[OrderCreate] = field(default_factory=list)
    buyers: set[str] = field(default_factory=set)
    entries: int = 0

    def add(self, order: OrderCreate) -> None:
        if len(self.orders) >= ORDER_BATCH or order.buyer_id in self.buyers:
            self.flush()
        self.orders.append(order)
        self.buyers.add(order.buyer_id)

    def flush(self) -> None:
        posted = post_orders(
            store=self.store, ladder=self.ladder, requests=self.orders, now=self.now
        )
        self.entries += sum(len(one.entries) for one in posted)
        self.orders, self.buyers = [], set()


def _order_request(
    ids: _Ids, index: int, order: DemoOrder, plans: list[Plan], currency: str
) -> OrderCreate:
    plan = plan_in_force(plans, order.placed_at)
    return OrderCreate(
        id=ids.order(index),
        buyer_id=ids.member(order.buyer),
        amount=order.amount,
        # The plan in force prices it only in its own currency.
        currency=plan.currency if plan is not None else currency,
        placed_at=order.placed_at,
        shared_by=None if order.shared_by is None else ids.member(order.shared_by),
    )


def _post_refund(
    store: GraphStore, ladder: TierLadder, world: DemoWorld, ids: _Ids, index: int
) -> int:
    refund = world.orders[index].refund
    assert refund is not None
    request = RefundCreate(
        id=ids.refund(index), amount=refund.amount, refunded_at=refund.refunded_at
    )
    posted, _ = post_refund(
        store=store, ladder=ladder, order_id=ids.order(index), request=request, now=world.now
    )
    return len(posted.entries)


# --- the ledger over a generated network (the browser tests' fixture) -------------------


def load_demo_ledger(
    *,
    store: GraphStore,
    ladder: TierLadder,
    network: Path,
    plan_file: Path,
    orders: int,
    now: int,
    seed: int = 7,
) -> int:
    """Loads the plan and posts `orders` random orders (a third shared by the buyer's
    inviter, a tenth half refunded) over a network `refgraph generate` wrote, placed between
    the plan's start and `now`; returns the number of ledger entries written."""
    plan = Plan.model_validate_json(plan_file.read_text())
    load_plan(store=store, ladder=ladder, plan=plan, now=now)
    with network.open(newline="") as handle:
        members = [
            (r["id"], r["inviter_id"] or None, int(r["joined_at"])) for r in csv.DictReader(handle)
        ]
    joined = {member: at for member, _, at in members}
    rng = random.Random(seed)
    entries = 0
    for k in range(orders):
        buyer, inviter, buyer_joined = members[rng.randrange(len(members))]
        shared_by = inviter if inviter is not None and rng.random() < 1 / 3 else None
        earliest = max(plan.effective_from, buyer_joined, joined.get(shared_by or buyer, 0))
        if earliest >= now:
            continue
        order = OrderCreate(
            id=f"demo-{k}",
            buyer_id=buyer,
            amount=rng.randint(1_000, 60_000),
            currency=plan.currency,
            placed_at=rng.randint(earliest, now - 1),
            shared_by=shared_by,
        )
        posted, _ = post_order(store=store, ladder=ladder, request=order, now=now)
        entries += len(posted.entries)
        if rng.random() < 0.1:
            refund = RefundCreate(
                id=f"demo-{k}-refund",
                amount=order.amount // 2,
                refunded_at=min(order.placed_at + rng.randint(1, 7 * DAY_MS), now),
            )
            refunded, _ = post_refund(
                store=store, ladder=ladder, order_id=order.id, request=refund, now=now
            )
            entries += len(refunded.entries)
    return entries
