"""Abuse-signal benchmark: recall and precision of every signal kind on a generated network
with planted abuse of known size and membership, and the signals job's seconds against a
connector run on the same graph, on each backend.

    python scripts/bench_signals.py --members 20000 --backends falkordb,neo4j \\
        --neo4j-url bolt://127.0.0.1:7687

Figures (issue "Abuse signals": recall >= 0.95 and precision >= 0.9 per kind; at 1M members
the job within the connector run's budget):

The background network (deterministic from --seed): `--members` members, 2% of them roots,
each other one invited by an earlier member drawn in proportion to 1 + her invitees (heavy
tails: inviters with a hundred invitees and more, spread over days); an invitee joins a
lognormal time after her inviter (median 36 hours; 3% within half an hour, friends signing
up together); 30% of members join in the very millisecond of the member before them in time
(ties, across trees and between siblings); `--circles` circles (topic groups, stores) of
`--circle-size` members drawn uniformly, as the connector benchmark draws them.

Noise that must not be flagged: households of unrelated members (different trees) sharing a
family tablet or a joint payout account (and their network prefix); invitees on their
inviter's network prefix (a prefix alone never counts); two store kiosks each used by more
than MAX_SHARED members; ordinary orders (~0.3 per member; a third shared by the buyer's
inviter, a tenth by a random member, one-way), some inviters sharing to the same invitee two
or three times (one-way), mutual single purchases (a shares to b once and b to a once: not a
ring), and ~5% of ordinary orders refunded (half in full, half in part).

Planted on it, each case with its core members (the members a signal must name):
  shared_identity  farms: one person's 3-6 accounts in one inviter chain or star under an
                   ordinary member, sharing a device, a phone or a payout hash (joined at
                   ordinary pace). Core: every account. Half the farms buy through their
                   head's share link, some also the other way round
  self_dealing     pairs of unrelated accounts (different trees) sharing a phone or payout
                   hash, one buying 1-3 times through the other's share link; and every
                   order of a farm account that paid (as sharer or through a ledger entry
                   of the real plan) another account of the same farm. A case is an ordered
                   (buyer, counterpart) pair; core: the two, and the signal's evidence must
                   name them in that order (the detector promises one signal per
                   (buyer, counterpart))
  burst/invitees   an inviter gaining 8-14 invitees within the rule's burst_minutes (10;
                   both ends of the window taken, several in one millisecond), days after
                   she joined, after 0-3 ordinary invitees. Core: her and the burst
  burst/chain      a head and 4-7 invitations in a row, each within a minute (some in the
                   same millisecond) where the network's median is days. Core: the chain
  bonus_farming    an inviter with 3-6 invitees whose first purchase paid her the referral
                   bonus and was refunded in full, and 0-2 who kept theirs. Core: her and
                   the refunding invitees
  trading_ring     2-5 members buying through each other's share links in a cycle (a chord
                   in some), 2-3 orders per link. Core: every member

A signal matches a case of its kind (and burst form) when it names every core member and
the case's members (core and any planted extras) make up at least half of the members it
names (a signal sweeping up a crowd does not match the case inside it). Recall: the share of
cases matched by some signal; precision: the share of signals matching some case. The two
burst forms are shown apart and judged as the one kind. Signals are read back from the
store page by page (by score, then id), as the API reads them; two signals with one id are
counted and fail the run (a page cursor cannot tell them apart).

Everything is written through the store and the services: members with
`store.register_members` (one batch per depth), identity facts with
`store.put_identity_facts_of_members` (FACT_BATCH members a statement), the seed plan
(examples/seed-plan.json, in force from the network's start) with `load_plan`, orders in time
order with `post_orders` (ORDER_BATCH at a time, each buyer once a batch) and refunds with
`post_refund`, so ledger entries (referral bonus, commissions, distribution) are the real
ones. Then
`run_signals` (with the seconds of its store reads, the detectors and its write) and
`run_connectors` (its default: betweenness sampled from 256 sources past 20,000 members) on
the same graph, their ratio printed. Exits 1 when a kind misses recall 0.95 or precision
0.9, naming it and its missed cases or unmatched signals. Results go to
bench-results/signals-<members>.json."""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import fresh_store, log

from app.core.config import PROJECT_ROOT
from app.domain.groups import GroupCreate
from app.domain.identity import IdentityKind, MemberIdentity
from app.domain.ledger import OrderCreate, RefundCreate
from app.domain.members import NewMemberRow
from app.domain.plans import DAY_MS, Plan
from app.domain.signals import MAX_SHARED, RiskSignal, SignalRules
from app.domain.tiers import DEFAULT_LADDER
from app.services import signals as signal_service
from app.services.connectors import run_connectors
from app.services.orders import post_orders, post_refund
from app.services.plans import load_plan
from app.services.signals import run_signals
from app.store.catalogue import Backend
from app.store.cypher_store import CypherStore

T = TypeVar("T")
SEED_PLAN = PROJECT_ROOT / "examples" / "seed-plan.json"
T0 = 1_735_689_600_000  # 2025-01-01T00:00Z: the network's first member
MINUTE = 60_000
HOUR = 60 * MINUTE
RECALL_GOAL, PRECISION_GOAL = 0.95, 0.9
ROOT_SHARE = 0.02
TIE_SHARE = 0.30
QUICK_SHARE = 0.03
ORDERS_PER_MEMBER = 0.3
REFUND_SHARE = 0.05
PAGE = 500
FACT_BATCH = 2_000
ORDER_BATCH = 500
ROWS = (
    "shared_identity",
    "self_dealing",
    "burst",
    "burst/invitees",
    "burst/chain",
    "bonus_farming",
    "trading_ring",
)


@dataclass
class Case:
    kind: str  # a signal kind, or burst/<form>
    core: frozenset[str]
    members: frozenset[str]  # core and any planted extras
    direction: tuple[str, str] | None = None  # self_dealing: (buyer, counterpart)


@dataclass
class Network:
    """Members in an order the store can take them (every inviter before her invitees)."""

    ids: list[str] = field(default_factory=list)
    inviter: list[int] = field(default_factory=list)
    joined: list[int] = field(default_factory=list)
    facts: dict[int, list[tuple[IdentityKind, str]]] = field(default_factory=dict)
    index: dict[str, int] = field(default_factory=dict)

    def add(self, member_id: str, inviter: int, joined: int) -> int:
        assert inviter < 0 or self.joined[inviter] <= joined
        self.index[member_id] = len(self.ids)
        self.ids.append(member_id)
        self.inviter.append(inviter)
        self.joined.append(joined)
        return len(self.ids) - 1

    def fact(self, member: int, kind: IdentityKind, value: str) -> None:
        self.facts.setdefault(member, []).append((kind, value))

    def root(self, member: int) -> int:
        while self.inviter[member] >= 0:
            member = self.inviter[member]
        return member


@dataclass
class Planned:
    order: OrderCreate
    refund: int = 0  # amount refunded, 0: kept
    person: str | None = None  # planted self-dealing: the person behind the accounts


@dataclass
class World:
    net: Network
    orders: list[Planned]
    cases: list[Case]
    background: int
    persons: dict[str, str]  # member id -> the planted person (farm or pair) she is
    circles: list[list[int]] = field(default_factory=list)


def digest(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


def invite_gap(rng: random.Random) -> int:
    """An ordinary time from an inviter's joining to her invitee's: mostly hours to days."""
    if rng.random() < QUICK_SHARE:
        return rng.randint(MINUTE, 30 * MINUTE)
    return int(36 * HOUR * math.exp(rng.gauss(0, 1.3))) + rng.randrange(1000)


def generate(
    members: int,
    cases: int,
    seed: int,
    circles: int,
    circle_size: int,
    orders_per_member: float = ORDERS_PER_MEMBER,
) -> World:
    rng = random.Random(seed)
    net = Network()
    # The background: preferential attachment over members so far.
    pool: list[int] = []
    for i in range(members):
        member_id = f"m{i:07d}"
        if i == 0 or rng.random() < ROOT_SHARE:
            net.add(member_id, -1, T0 + rng.randrange(120 * DAY_MS))
        else:
            inviter = pool[rng.randrange(len(pool))]
            net.add(member_id, inviter, net.joined[inviter] + invite_gap(rng))
            pool.append(inviter)
        pool.append(i)
    # Ties: in time order, 30% join in the millisecond of the member before them (when that
    # keeps her at or after her inviter, and that member is not her inviter).
    in_time = sorted(range(members), key=lambda m: net.joined[m])
    for before, member in pairwise(in_time):
        inviter = net.inviter[member]
        at = net.joined[before]
        tie = rng.random() < TIE_SHARE and before != inviter
        if tie and (inviter < 0 or net.joined[inviter] <= at):
            net.joined[member] = at
    roots = [net.root(m) for m in range(members)]
    background_facts(net, rng, members, roots, seed)
    orders = background_orders(net, rng, members, orders_per_member)
    world = World(net=net, orders=orders, cases=[], background=members, persons={})
    plant(world, rng, cases, roots, seed)
    # Circles (topic groups, stores) drawn uniformly from the background, as the connector
    # benchmark draws them, so that they overlap.
    drawn = random.Random(seed + 1)
    world.circles = [drawn.sample(range(members), circle_size) for _ in range(circles)]
    return world


def background_facts(
    net: Network, rng: random.Random, members: int, roots: list[int], seed: int
) -> None:
    prefixes = [
        f"{rng.randint(11, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.0/24"
        for _ in range(3000)
    ]
    prefix_of: dict[int, str] = {}
    for m in range(members):
        if rng.random() < 0.85:
            net.fact(m, "phone_hash", digest(seed, "phone", m))
        if rng.random() < 0.75:
            net.fact(m, "device_id", f"dev-{digest(seed, 'device', m)[:20]}")
        if rng.random() < 0.35:
            net.fact(m, "payout_account_hash", digest(seed, "payout", m))
        if rng.random() < 0.9:
            inviter = net.inviter[m]
            prefix = (
                prefix_of[inviter]
                if inviter in prefix_of and rng.random() < 0.4
                else rng.choice(prefixes)
            )
            prefix_of[m] = prefix
            net.fact(m, "ip_prefix", prefix)
    # Households: two or three unrelated members (different trees) on one family tablet,
    # or one joint payout account, and one home network.
    for h in range(members // 100):
        size = 3 if rng.random() < 0.2 else 2
        chosen: list[int] = []
        while len(chosen) < size:
            m = rng.randrange(members)
            if all(roots[m] != roots[c] for c in chosen):
                chosen.append(m)
        home = f"{rng.randint(11, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.0/24"
        shared: tuple[IdentityKind, str] = (
            ("payout_account_hash", digest(seed, "joint", h))
            if rng.random() < 0.2
            else ("device_id", f"home-tablet-{h:06d}")
        )
        for m in chosen:
            net.fact(m, *shared)
            net.fact(m, "ip_prefix", home)
    # Store kiosks: more members than MAX_SHARED on one device, related or not.
    for k, size in enumerate((MAX_SHARED + 10, MAX_SHARED + 25)):
        for m in rng.sample(range(members), size):
            net.fact(m, "device_id", f"kiosk-store-{k:04d}")


def household_partners(net: Network) -> dict[int, set[int]]:
    holders: dict[tuple[str, str], set[int]] = defaultdict(set)
    for m, facts in net.facts.items():
        for kind, value in facts:
            if kind != "ip_prefix":
                holders[(kind, value)].add(m)
    partners: dict[int, set[int]] = defaultdict(set)
    for held in holders.values():
        if 2 <= len(held) <= MAX_SHARED:
            for m in held:
                partners[m] |= held - {m}
    return partners


def background_orders(
    net: Network, rng: random.Random, members: int, per_member: float
) -> list[Planned]:
    partners = household_partners(net)
    orders: list[Planned] = []

    def order(buyer: int, sharer: int | None, after: int = 0) -> None:
        start = max(net.joined[buyer], net.joined[sharer] if sharer is not None else 0, after)
        placed = start + int(10 * DAY_MS * math.exp(rng.gauss(0, 1))) + rng.randrange(1000)
        refund = 0
        if rng.random() < REFUND_SHARE:
            amount = rng.randint(990, 99_000)
            refund = amount if rng.random() < 0.5 else rng.randint(1, amount - 1)
        else:
            amount = rng.randint(990, 99_000)
        orders.append(
            Planned(
                OrderCreate(
                    id=f"o{len(orders):07d}",
                    buyer_id=net.ids[buyer],
                    amount=amount,
                    currency="CNY",
                    placed_at=placed,
                    shared_by=None if sharer is None else net.ids[sharer],
                ),
                refund,
            )
        )

    for _ in range(int(per_member * members)):
        buyer = rng.randrange(members)
        draw = rng.random()
        sharer: int | None = None
        if draw < 0.33 and net.inviter[buyer] >= 0:
            sharer = net.inviter[buyer]
        elif draw < 0.43:
            sharer = rng.randrange(members)
        # A household buying through itself would be self-dealing by any account: the
        # background keeps to strangers and relatives who share no strong fact.
        if sharer == buyer or (sharer is not None and sharer in partners[buyer]):
            sharer = None
        order(buyer, sharer)
        if sharer is not None and sharer == net.inviter[buyer] and rng.random() < 0.06:
            for _ in range(rng.randint(1, 2)):  # she shares to her invitee again: one way
                order(buyer, sharer)
    for _ in range(members // 200):  # mutual single purchases: not a ring
        a, b = rng.sample(range(members), 2)
        if b in partners[a]:
            continue
        order(b, a)
        order(a, b)
    return orders


def plant(world: World, rng: random.Random, cases: int, roots: list[int], seed: int) -> None:
    net, background = world.net, world.background

    def attach(member_id: str, inviter: int | None = None) -> int:
        inviter = rng.randrange(background) if inviter is None else inviter
        return net.add(member_id, inviter, net.joined[inviter] + invite_gap(rng))

    def own_facts(m: int, skip: frozenset[str] = frozenset()) -> None:
        if "phone_hash" not in skip:
            net.fact(m, "phone_hash", digest(seed, "phone", net.ids[m]))
        if "device_id" not in skip:
            net.fact(m, "device_id", f"dev-{digest(seed, 'device', net.ids[m])[:20]}")

    def buy(
        buyer: int, sharer: int | None, placed: int, refund: int = 0, person: str | None = None
    ) -> None:
        amount = rng.randint(990, 99_000)
        world.orders.append(
            Planned(
                OrderCreate(
                    id=f"p{len(world.orders):07d}",
                    buyer_id=net.ids[buyer],
                    amount=amount,
                    currency="CNY",
                    placed_at=placed,
                    shared_by=None if sharer is None else net.ids[sharer],
                ),
                amount if refund else 0,
                person,
            )
        )

    kinds: list[IdentityKind] = ["device_id", "phone_hash", "payout_account_hash"]
    for f in range(cases):  # farms
        person = f"farm{f}"
        size = rng.randint(3, 6)
        star = rng.random() < 0.5
        accounts = [attach(f"{person}-0")]
        for k in range(1, size):
            accounts.append(attach(f"{person}-{k}", accounts[0] if star else accounts[-1]))
        primary = kinds[f % 3]
        value = (
            f"farm-dev-{f:05d}-{digest(seed, person)[:8]}"
            if primary == "device_id"
            else digest(seed, person, primary)
        )
        for m in accounts:
            world.persons[net.ids[m]] = person
            net.fact(m, primary, value)
            own_facts(m, frozenset({primary}))
        ids = frozenset(net.ids[m] for m in accounts)
        world.cases.append(Case("shared_identity", ids, ids))
        if f % 2 == 0:  # the farm buys through its head's link, and sometimes back
            last = max(net.joined[m] for m in accounts)
            for m in accounts[1:]:
                buy(m, accounts[0], last + rng.randint(HOUR, 5 * DAY_MS), person=person)
            if f % 4 == 0:
                buy(accounts[0], accounts[1], last + 6 * DAY_MS, person=person)
    for p in range(cases):  # self-dealing pairs: unrelated, sharing a phone or payout
        person = f"pair{p}"
        sharer = attach(f"{person}-s")
        while True:
            inviter = rng.randrange(background)
            if roots[inviter] != net.root(sharer):
                break
        buyer = attach(f"{person}-b", inviter)
        kind: IdentityKind = "phone_hash" if p % 2 else "payout_account_hash"
        for m in (sharer, buyer):
            world.persons[net.ids[m]] = person
            net.fact(m, kind, digest(seed, person, kind))
            own_facts(m, frozenset({kind}))
        start = max(net.joined[sharer], net.joined[buyer])
        for _ in range(rng.randint(1, 3)):
            buy(buyer, sharer, start + rng.randint(HOUR, 20 * DAY_MS), person=person)
    for b in range(cases):  # invitee bursts
        inviter = attach(f"burst{b}")
        own_facts(inviter)
        extras = []
        for k in range(rng.randint(0, 3)):  # ordinary invitees before, days apart
            extras.append(attach(f"burst{b}-early{k}", inviter))
            own_facts(extras[-1])
        start = max(net.joined[m] for m in [inviter, *extras]) + rng.randint(DAY_MS, 5 * DAY_MS)
        window = SignalRules().burst_minutes * MINUTE
        times = [start, start + window]  # both ends of the window
        size = rng.randint(SignalRules().burst_invitees, 14)
        while len(times) < size:
            times.append(
                rng.choice(times) if rng.random() < 0.35 else start + rng.randint(0, window)
            )
        burst = [net.add(f"burst{b}-i{k}", inviter, t) for k, t in enumerate(sorted(times))]
        for m in burst:
            own_facts(m)
        core = frozenset(net.ids[m] for m in [inviter, *burst])
        world.cases.append(Case("burst/invitees", core, core | {net.ids[m] for m in extras}))
    for c in range(cases):  # fast chains
        chain = [attach(f"chain{c}-0")]
        for k in range(1, rng.randint(4, 7) + 1):
            gap = 0 if rng.random() < 0.2 else rng.randint(1, MINUTE)
            chain.append(net.add(f"chain{c}-{k}", chain[-1], net.joined[chain[-1]] + gap))
        for m in chain:
            own_facts(m)
        core = frozenset(net.ids[m] for m in chain)
        world.cases.append(Case("burst/chain", core, core))
    for f in range(cases):  # bonus farming
        inviter = attach(f"farmer{f}")
        own_facts(inviter)
        refunding = [attach(f"farmer{f}-r{k}", inviter) for k in range(rng.randint(3, 6))]
        keeping = [attach(f"farmer{f}-k{k}", inviter) for k in range(rng.randint(0, 2))]
        for m in refunding + keeping:
            own_facts(m)
            buy(m, None, net.joined[m] + rng.randint(HOUR, 3 * DAY_MS), refund=m in refunding)
        core = frozenset(net.ids[m] for m in [inviter, *refunding])
        world.cases.append(Case("bonus_farming", core, core | {net.ids[m] for m in keeping}))
    for r in range(cases):  # trading rings
        ring = [attach(f"ring{r}-{k}") for k in range(2 + r % 4)]
        for m in ring:
            own_facts(m)
        links = [(ring[k], ring[(k + 1) % len(ring)]) for k in range(len(ring))]
        if len(ring) >= 4 and rng.random() < 0.5:
            links.append((ring[0], ring[2]))
        start = max(net.joined[m] for m in ring)
        for sharer, buyer in links:
            for _ in range(rng.randint(2, 3)):
                buy(buyer, sharer, start + rng.randint(HOUR, 30 * DAY_MS))
        core = frozenset(net.ids[m] for m in ring)
        world.cases.append(Case("trading_ring", core, core))


def load(store: CypherStore, world: World) -> dict[str, Any]:
    """Writes the world through the store and the services; returns what it wrote and the
    self-dealing cases the posted ledger entries make (known only once priced)."""
    net = world.net
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    depth = [0] * len(net.ids)
    for m, inviter in enumerate(net.inviter):  # inviters come first
        depth[m] = 0 if inviter < 0 else depth[inviter] + 1
    by_depth: dict[int, list[NewMemberRow]] = defaultdict(list)
    for m, d in enumerate(depth):
        inviter = net.inviter[m]
        by_depth[d].append(
            NewMemberRow(
                id=net.ids[m],
                inviter_id=None if inviter < 0 else net.ids[inviter],
                name=None,
                joined_at=net.joined[m],
                attributes_json=None,
            )
        )
    created = 0
    for d in sorted(by_depth):
        rows = by_depth[d]
        for start in range(0, len(rows), 5000):
            created += len(store.register_members(rows[start : start + 5000], DEFAULT_LADDER))
    assert created == len(net.ids), (created, len(net.ids))
    store.put_groups(
        [
            GroupCreate.model_validate({"id": f"c{c}", "kind": "topic", "name": f"C{c}"})
            for c in range(len(world.circles))
        ]
    )
    pairs = [(f"c{c}", net.ids[m]) for c, drawn in enumerate(world.circles) for m in drawn]
    for start in range(0, len(pairs), 50_000):
        store.add_group_members(pairs[start : start + 50_000])
    figures["register_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    facts = [
        MemberIdentity(net.ids[member], held, net.joined[member])
        for member, held in net.facts.items()
    ]
    for start in range(0, len(facts), FACT_BATCH):
        batch = facts[start : start + FACT_BATCH]
        written = store.put_identity_facts_of_members(batch, max(m.at for m in batch))
        assert len(written) == len(batch), (len(written), len(batch))
    figures["identity_s"] = round(time.perf_counter() - started, 1)
    seed = Plan.model_validate_json(SEED_PLAN.read_text())
    plan = seed.model_copy(update={"version": "bench-signals", "effective_from": T0})
    load_plan(store=store, ladder=DEFAULT_LADDER, plan=plan, now=T0)
    started = time.perf_counter()
    refunds = 0
    in_time = sorted(world.orders, key=lambda p: (p.order.placed_at, p.order.id))
    for batch in order_batches(in_time):
        posted_batch = post_orders(
            store=store,
            ladder=DEFAULT_LADDER,
            requests=[planned.order for planned in batch],
            now=batch[-1].order.placed_at,
        )
        for planned, posted in zip(batch, posted_batch, strict=True):
            if planned.person is None:
                continue
            order = planned.order
            paid = {e.beneficiary_id for e in posted.entries}
            if order.shared_by is not None:
                paid.add(order.shared_by)
            for other in sorted(paid - {order.buyer_id}):
                if world.persons.get(other) == planned.person:
                    pair = frozenset((order.buyer_id, other))
                    case = Case("self_dealing", pair, pair, (order.buyer_id, other))
                    if case not in world.cases:
                        world.cases.append(case)
    figures["orders_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    for planned in world.orders:
        if planned.refund:
            order = planned.order
            refunded_at = order.placed_at + DAY_MS
            post_refund(
                store=store,
                ladder=DEFAULT_LADDER,
                order_id=order.id,
                request=RefundCreate(
                    id=f"{order.id}-r", amount=planned.refund, refunded_at=refunded_at
                ),
                now=refunded_at,
            )
            refunds += 1
    figures["refunds_s"] = round(time.perf_counter() - started, 1)
    figures |= {"members": len(net.ids), "orders": len(world.orders), "refunds": refunds}
    return figures


def order_batches(in_time: list[Planned]) -> Iterator[list[Planned]]:
    """Consecutive orders in time, up to ORDER_BATCH at a time and each buyer once (what a
    bulk post takes): a buyer's orders are priced one after the other, as they came."""
    batch: list[Planned] = []
    buyers: set[str] = set()
    for planned in in_time:
        if planned.order.buyer_id in buyers or len(batch) == ORDER_BATCH:
            yield batch
            batch, buyers = [], set()
        batch.append(planned)
        buyers.add(planned.order.buyer_id)
    if batch:
        yield batch


def read_signals(store: CypherStore) -> list[RiskSignal]:
    signals: list[RiskSignal] = []
    after: tuple[int, str] | None = None
    while True:
        page = store.signals_page(None, 0, after, PAGE)
        signals.extend(page)
        if len(page) < PAGE:
            return signals
        after = (round(page[-1].score * 10_000), page[-1].id)


def kind_of(signal: RiskSignal) -> str:
    return f"burst/{signal.evidence['form']}" if signal.kind == "burst" else signal.kind


def matches(signal: RiskSignal, case: Case) -> bool:
    if kind_of(signal) != case.kind:
        return False
    named = set(signal.members)
    if not case.core <= named or 2 * len(named & case.members) < len(named):
        return False
    if case.direction is not None:
        evidence = signal.evidence
        return (evidence["buyer_id"], evidence["counterpart_id"]) == case.direction
    return True


def score(world: World, signals: list[RiskSignal]) -> dict[str, dict[str, Any]]:
    by_member: dict[str, list[Case]] = defaultdict(list)
    for case in world.cases:
        for member in case.core:
            by_member[member].append(case)
    found: set[int] = set()
    matched_signals: list[tuple[RiskSignal, bool]] = []
    for signal in signals:
        candidates = {id(c): c for m in signal.members for c in by_member.get(m, [])}
        hits = [c for c in candidates.values() if matches(signal, c)]
        found |= {id(c) for c in hits}
        matched_signals.append((signal, bool(hits)))
    rows: dict[str, dict[str, Any]] = {}
    for row in ROWS:
        group = [c for c in world.cases if c.kind == row or c.kind.startswith(f"{row}/")]
        sent = [(s, hit) for s, hit in matched_signals if row in (s.kind, kind_of(s))]
        true = sum(1 for _, hit in sent if hit)
        matched = sum(1 for c in group if id(c) in found)
        rows[row] = {
            "planted": len(group),
            "signals": len(sent),
            "found": matched,
            "recall": round(matched / len(group), 4) if group else None,
            "precision": round(true / len(sent), 4) if sent else None,
            "missed": sorted(sorted(c.core)[0] for c in group if id(c) not in found)[:10],
            "false": [
                {"members": s.members[:8], "summary": s.summary} for s, hit in sent if not hit
            ][:5],
        }
    return rows


def timed_steps(store: CypherStore, steps: dict[str, float], call: Callable[[], T]) -> T:
    """`call()`, with the seconds of each read and write the signals job makes on the store,
    and of the detectors, added up in `steps`."""

    def timed(name: str, inner: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                steps[name] += time.perf_counter() - started

        return wrapper

    names = {
        "connector_arrays": "export",
        "identity_facts": "facts",
        "signal_orders": "orders",
        "entries_of_orders": "entries",
        "put_signal_run": "write",
    }
    originals = {name: getattr(store, name) for name in names}
    detect = getattr(signal_service, "detect_signals")  # noqa: B009
    for name, step in names.items():
        setattr(store, name, timed(step, originals[name]))
    setattr(signal_service, "detect_signals", timed("detect", detect))  # noqa: B010
    try:
        return call()
    finally:
        for name in names:
            delattr(store, name)
        setattr(signal_service, "detect_signals", detect)  # noqa: B010


def run_backend(store: CypherStore, world: World) -> dict[str, Any]:
    figures = load(store, world)
    log(f"loaded {figures}")
    now = max(p.order.placed_at for p in world.orders) + 2 * DAY_MS
    steps: dict[str, float] = defaultdict(float)
    summary = timed_steps(
        store, steps, lambda: run_signals(store=store, rules=SignalRules(), now=now)
    )
    figures["signal_steps_s"] = {name: round(s, 2) for name, s in steps.items()}
    log(f"signals {summary.model_dump()}")
    signals = read_signals(store)
    ids = Counter(s.id for s in signals)
    figures["signals_read"] = len(signals)
    figures["signals_run"] = summary.signals
    figures["duplicate_ids"] = sum(n - 1 for n in ids.values() if n > 1)
    figures["kinds"] = score(world, signals)
    started = time.perf_counter()
    connectors = run_connectors(store=store, ladder=DEFAULT_LADDER, now=now)
    figures["connector_s"] = round(time.perf_counter() - started, 1)
    figures["connector_betweenness"] = (
        f"{connectors.sources} sources" if connectors.approximate else "exact"
    )
    figures["signals_s"] = summary.seconds
    figures["signals_vs_connectors"] = round(summary.seconds / figures["connector_s"], 3)
    return figures


def print_table(results: dict[str, Any]) -> list[str]:
    failures = []
    for backend, figures in results["backends"].items():
        print(
            f"\n{backend}: {results['background']:,} background members in "
            f"{results['circles']:,} circles of {results['circle_size']}, "
            f"{figures['members']:,} in all, {figures['orders']:,} orders, "
            f"{figures['refunds']:,} refunds"
        )
        print("kind | planted | signals | found | recall | precision")
        print("--- | --- | --- | --- | --- | ---")
        for row, cell in figures["kinds"].items():
            print(
                f"{row} | {cell['planted']} | {cell['signals']} | {cell['found']} | "
                f"{cell['recall']} | {cell['precision']}"
            )
            if "/" in row:
                continue  # the burst forms are reported, judged as one kind
            if cell["recall"] is None or cell["recall"] < RECALL_GOAL:
                failures.append(
                    f"{backend} {row}: recall {cell['recall']} < {RECALL_GOAL} "
                    f"(missed, first core member: {cell['missed']})"
                )
            if cell["precision"] is None or cell["precision"] < PRECISION_GOAL:
                failures.append(
                    f"{backend} {row}: precision {cell['precision']} < "
                    f"{PRECISION_GOAL} (unmatched: {cell['false']})"
                )
        print(f"signals job s | connector run s ({figures['connector_betweenness']}) | ratio")
        print(
            f"{figures['signals_s']} | {figures['connector_s']} | "
            f"{figures['signals_vs_connectors']}"
        )
        steps = ", ".join(f"{k} {v}" for k, v in figures["signal_steps_s"].items())
        print(f"signals job steps s: {steps}")
        if figures["duplicate_ids"]:
            failures.append(
                f"{backend}: {figures['duplicate_ids']} signals share another's id "
                f"({figures['signals_run']} written, {figures['signals_read']} read)"
            )
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=20_000, help="background members")
    parser.add_argument(
        "--cases",
        type=int,
        default=None,
        help="planted cases per kind and form (default: members / 500, >= 20)",
    )
    parser.add_argument(
        "--circles", type=int, default=None, help="circles (default: members / 100)"
    )
    parser.add_argument("--circle-size", type=int, default=300)
    parser.add_argument(
        "--orders-per-member",
        type=float,
        default=ORDERS_PER_MEMBER,
        help="ordinary orders per background member (the planted ones come on top)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backends", default="falkordb,neo4j")
    parser.add_argument("--neo4j-url", default=None, help="default: scripts/neo4j-local url")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench-results")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    cases = args.cases or max(20, args.members // 500)
    started = time.perf_counter()
    circles = args.members // 100 if args.circles is None else args.circles
    world = generate(
        args.members, cases, args.seed, circles, args.circle_size, args.orders_per_member
    )
    log(
        f"generated {len(world.net.ids):,} members, {len(world.orders):,} orders, "
        f"{len(world.cases):,} cases before pricing in {time.perf_counter() - started:.1f}s"
    )
    results: dict[str, Any] = {
        "background": args.members,
        "circles": circles,
        "circle_size": args.circle_size,
        "orders_per_member": args.orders_per_member,
        "cases": cases,
        "seed": args.seed,
        "backends": {},
    }
    base_cases = list(world.cases)
    for backend in args.backends.split(","):
        log(f"=== {backend}")
        world.cases = list(base_cases)  # the self-dealing cases come from each pricing
        with fresh_store(Backend(backend), args.neo4j_url) as store:
            results["backends"][backend] = run_backend(store, world)
        (args.out / f"signals-{args.members}.json").write_text(json.dumps(results, indent=2))
    failures = print_table(results)
    if failures:
        print("\nFAILED:\n" + "\n".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
