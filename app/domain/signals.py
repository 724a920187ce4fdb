"""Abuse signals: the pure rules that find farmed referral programmes in the network, each
with its evidence and a score in [0, 1]. No I/O: app/services/signals.py reads the inputs
and stores what `detect_signals` returns.

Five kinds:
- `shared_identity`: members in one inviter chain (or one small circle) who share a phone, a
  device or a payout account, the self-referral farm;
- `self_dealing`: a buyer whose sharer or paid upline beneficiary shares such a fact with
  her (one signal per pair, with its orders);
- `burst`: an inviter gaining at least `burst_invitees` direct invitees within
  `burst_minutes`, or a chain of at least `chain_links` invitations each made far faster
  (`chain_speedup` times) than the network's median;
- `bonus_farming`: an inviter whose invitees' bonus-granting orders are refunded, at least
  `farming_min` of them and at a rate far above the network's;
- `trading_ring`: members who buy through each other's share links, each link repeated at
  least `ring_min_orders` times: the strongly connected components of the sharer → buyer
  graph (igraph), every cycle of which lies inside one."""

from __future__ import annotations

import hashlib
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import Any, Literal, get_args

import igraph  # type: ignore[import-untyped]
from pydantic import BaseModel, Field

from app.domain.connectors import ConnectorArrays
from app.domain.identity import STRONG_KINDS, IdentityFact

SignalKind = Literal["shared_identity", "self_dealing", "burst", "bonus_farming", "trading_ring"]
SIGNAL_KINDS: tuple[SignalKind, ...] = get_args(SignalKind)
# How strongly one shared fact says "one person": a payout account is where the money goes.
FACT_WEIGHTS = {"payout_account_hash": 0.9, "phone_hash": 0.8, "device_id": 0.7, "ip_prefix": 0.2}
# A fact shared by more members than this is a shop's kiosk or a recycled number, not one
# person's accounts: it is reported by none of its pairs.
MAX_SHARED = 50
# Ancestors looked at when deciding whether two members are in one chain.
MAX_CHAIN = 1000
# A circle relates its members only up to this size: sharing a topic group, a store or a
# region of hundreds with a stranger is no relation (a household on one tablet, in different
# trees, would otherwise be a farm whenever both joined one big circle), as a fact shared by
# more than MAX_SHARED members is no one person's.
MAX_RELATING_CIRCLE = MAX_SHARED


class SignalRules(BaseModel):
    """What counts as abuse; every threshold is configurable (REFGRAPH_SIGNAL_RULES)."""

    burst_invitees: int = Field(default=8, ge=2, description="Direct invitees within the window")
    burst_minutes: int = Field(default=10, ge=1, description="The burst window")
    chain_links: int = Field(
        default=4, ge=2, description="Invitations in a row, each much faster than the norm"
    )
    chain_speedup: float = Field(
        default=50.0, gt=1, description="A fast link: joined this many times sooner than median"
    )
    sibling_hops: int = Field(
        default=2, ge=1, description="Members whose common inviter is this close are one chain"
    )
    farming_min: int = Field(default=3, ge=1, description="Refunded bonus orders of invitees")
    farming_rate: float = Field(
        default=0.5, gt=0, le=1, description="Share of her buying invitees refunded at least"
    )
    farming_factor: float = Field(
        default=3.0, ge=1, description="Times the network's refunded share at least"
    )
    ring_min_orders: int = Field(default=2, ge=1, description="Orders per share link in a ring")


class OrderFact(BaseModel):
    """What the signals read of an order."""

    id: str
    buyer_id: str
    shared_by: str | None
    placed_at: int
    amount: int
    refunded: int


class EntryFact(BaseModel):
    """What the signals read of an original ledger entry: who an order paid, by which rule."""

    order_id: str
    beneficiary_id: str
    kind: str


class RiskSignal(BaseModel):
    """One finding with its evidence. The id is derived from its kind and members, so a
    finding keeps its id from run to run."""

    id: str
    kind: SignalKind
    score: float = Field(ge=0, le=1, description="How sure: 0 to 1")
    members: list[str] = Field(description="The members it names, sorted")
    summary: str = Field(description="The finding in one sentence")
    evidence: dict[str, Any] = Field(description="The facts behind it, by kind")
    at: int = Field(description="The latest event time in its evidence (epoch ms)")


def signal_id(kind: str, members: Iterable[str], key: str = "") -> str:
    digest = hashlib.sha256("\x1f".join([kind, key, *sorted(members)]).encode()).hexdigest()
    return f"{kind}:{digest[:20]}"


def combined_weight(kinds: Iterable[str]) -> float:
    """1 - Π(1 - w) over the distinct kinds shared: two kinds say more than either."""
    missing = 1.0
    for kind in set(kinds):
        missing *= 1.0 - FACT_WEIGHTS[kind]
    return round(1.0 - missing, 4)


class Forest:
    """The inviter forest by member id, for chain questions."""

    def __init__(self, arrays: ConnectorArrays) -> None:
        self.ids = arrays.ids
        self.index = {member_id: i for i, member_id in enumerate(arrays.ids)}
        self.inviter = arrays.inviter
        self.joined_at = arrays.joined_at
        self.circles: dict[int, set[int]] = defaultdict(set)
        sizes = Counter(arrays.membership_circle)
        for member, circle in zip(arrays.membership_member, arrays.membership_circle, strict=True):
            if sizes[circle] <= MAX_RELATING_CIRCLE:
                self.circles[member].add(circle)

    def ancestors(self, member: int) -> dict[int, int]:
        """Her ancestors by distance (her own index at 0)."""
        found = {member: 0}
        at, hops = member, 0
        while (at := self.inviter[at]) >= 0 and hops < MAX_CHAIN and at not in found:
            hops += 1
            found[at] = hops
        return found

    def relation(self, a: int, b: int, sibling_hops: int) -> str | None:
        """'chain' when one invited the other down a chain or both descend from one inviter
        within `sibling_hops`; 'circle' when they share a circle of at most
        MAX_RELATING_CIRCLE members; else None."""
        above_a = self.ancestors(a)
        at, hops = b, 0
        while at >= 0 and hops <= MAX_CHAIN:
            if at in above_a:
                if at in (a, b) or max(above_a[at], hops) <= sibling_hops:
                    return "chain"
                break
            at, hops = self.inviter[at], hops + 1
        if self.circles.get(a, set()) & self.circles.get(b, set()):
            return "circle"
        return None


def detect_signals(
    arrays: ConnectorArrays,
    facts: Sequence[IdentityFact],
    orders: Sequence[OrderFact],
    entries: Sequence[EntryFact],
    rules: SignalRules,
) -> list[RiskSignal]:
    """Every signal of every kind, strongest first (then by id)."""
    forest = Forest(arrays)
    signals = [
        *shared_identity(forest, facts, rules),
        *self_dealing(facts, orders, entries),
        *bursts(forest, rules),
        *bonus_farming(forest, orders, entries, rules),
        *trading_rings(orders, rules),
    ]
    return sorted(signals, key=lambda s: (-s.score, s.id))


def _strong_groups(facts: Sequence[IdentityFact]) -> dict[tuple[str, str], list[IdentityFact]]:
    """Strong facts held by 2 to MAX_SHARED members, by (kind, value)."""
    groups: dict[tuple[str, str], dict[str, IdentityFact]] = defaultdict(dict)
    for fact in facts:
        if fact.kind in STRONG_KINDS:
            held = groups[(fact.kind, fact.value)]
            if fact.member_id not in held or fact.at < held[fact.member_id].at:
                held[fact.member_id] = fact
    return {
        key: sorted(held.values(), key=lambda f: f.member_id)
        for key, held in groups.items()
        if 2 <= len(held) <= MAX_SHARED
    }


def members_sharing_facts(facts: Sequence[IdentityFact]) -> set[str]:
    """The members who share a strong fact with someone: the only buyers whose orders'
    entries self-dealing reads."""
    return {f.member_id for held in _strong_groups(facts).values() for f in held}


def _shared_facts(facts: Sequence[IdentityFact]) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """For each pair of members (sorted) the strong facts they share, as (kind, value)."""
    shared: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for (kind, value), held in _strong_groups(facts).items():
        for a, b in combinations([f.member_id for f in held], 2):
            shared[(a, b)].append((kind, value))
    return shared


def shared_identity(
    forest: Forest, facts: Sequence[IdentityFact], rules: SignalRules
) -> list[RiskSignal]:
    """Groups of related members joined by shared strong facts, one signal per group."""
    related: list[tuple[str, str, str]] = []
    for (a, b), _shared in _shared_facts(facts).items():
        ia, ib = forest.index.get(a), forest.index.get(b)
        if ia is None or ib is None:
            continue
        relation = forest.relation(ia, ib, rules.sibling_hops)
        if relation is not None:
            related.append((a, b, relation))
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, _ in related:
        parent[root(a)] = root(b)
    groups: dict[str, set[str]] = defaultdict(set)
    relations: dict[str, set[str]] = defaultdict(set)
    for a, b, relation in related:
        groups[root(a)].update((a, b))
        relations[root(a)].add(relation)
    by_member: dict[str, list[IdentityFact]] = defaultdict(list)
    for fact in facts:
        by_member[fact.member_id].append(fact)
    signals = []
    for key, members in groups.items():
        shared = _facts_within(members, by_member)
        kinds = [item["kind"] for item in shared]
        strongest = max(FACT_WEIGHTS[k] for k in kinds if k in STRONG_KINDS)
        names = ", ".join(sorted({k for k in kinds if k in STRONG_KINDS}))
        how = " and ".join(sorted(relations[key]))
        signals.append(
            RiskSignal(
                id=signal_id("shared_identity", members),
                kind="shared_identity",
                score=max(strongest, combined_weight(kinds)),
                members=sorted(members),
                summary=f"{len(members)} members related by {how} share {names}",
                evidence={"relation": sorted(relations[key]), "shared": shared},
                at=max(f.at for m in members for f in by_member[m]),
            )
        )
    return signals


def _facts_within(
    members: set[str], by_member: dict[str, list[IdentityFact]]
) -> list[dict[str, Any]]:
    """The facts held by two or more of `members`, each with who holds it."""
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for member in members:
        for fact in by_member[member]:
            holders[(fact.kind, fact.value)].add(member)
    return [
        {"kind": kind, "value": value, "members": sorted(held)}
        for (kind, value), held in sorted(holders.items())
        if len(held) >= 2
    ]


def self_dealing(
    facts: Sequence[IdentityFact], orders: Sequence[OrderFact], entries: Sequence[EntryFact]
) -> list[RiskSignal]:
    """Buyers paying themselves: the order's sharer, or a member its entries paid, shares
    a strong fact with the buyer. One signal per (buyer, counterpart) with the orders."""
    shared = _shared_facts(facts)
    paid: dict[str, list[EntryFact]] = defaultdict(list)
    for entry in entries:
        paid[entry.order_id].append(entry)
    found: dict[tuple[str, str], list[tuple[OrderFact, str]]] = defaultdict(list)
    for order in orders:
        roles: dict[str, set[str]] = defaultdict(set)
        if order.shared_by and order.shared_by != order.buyer_id:
            roles[order.shared_by].add("sharer")
        for entry in paid.get(order.id, ()):
            if entry.beneficiary_id != order.buyer_id:
                roles[entry.beneficiary_id].add(entry.kind)
        for other, how in roles.items():
            pair = (min(order.buyer_id, other), max(order.buyer_id, other))
            if pair in shared:
                found[(order.buyer_id, other)].append((order, "+".join(sorted(how))))
    signals = []
    for (buyer, other), dealt in found.items():
        kinds = [kind for kind, _ in shared[(min(buyer, other), max(buyer, other))]]
        signals.append(
            RiskSignal(
                # Keyed by the buyer too: a pair dealing both ways (b buys through a's link,
                # a through b's) is two findings, and an id of the sorted pair alone gave
                # both one id (which a page cursor, by score then id, skips past).
                id=signal_id("self_dealing", (buyer, other), key=buyer),
                kind="self_dealing",
                score=combined_weight(kinds),
                members=sorted((buyer, other)),
                summary=f"{buyer} bought {len(dealt)} time(s) paying {other}, who shares "
                + ", ".join(sorted(set(kinds))),
                evidence={
                    "buyer_id": buyer,
                    "counterpart_id": other,
                    "shared": [
                        {"kind": k, "value": v}
                        for k, v in shared[(min(buyer, other), max(buyer, other))]
                    ],
                    "orders": [
                        {"order_id": o.id, "amount": o.amount, "placed_at": o.placed_at, "as": r}
                        for o, r in sorted(dealt, key=lambda d: (d[0].placed_at, d[0].id))
                    ],
                },
                at=max(o.placed_at for o, _ in dealt),
            )
        )
    return signals


def bursts(forest: Forest, rules: SignalRules) -> list[RiskSignal]:
    return [*_invitee_bursts(forest, rules), *_chain_bursts(forest, rules)]


def _invitee_bursts(forest: Forest, rules: SignalRules) -> list[RiskSignal]:
    """The densest window of each inviter's invitees, when it holds burst_invitees or more.
    Both ends of a window are inclusive: members who joined in one millisecond all count."""
    invitees: dict[int, list[int]] = defaultdict(list)
    for member, inviter in enumerate(forest.inviter):
        if inviter >= 0:
            invitees[inviter].append(member)
    window = rules.burst_minutes * 60_000
    signals = []
    for inviter, members in invitees.items():
        if len(members) < rules.burst_invitees:
            continue
        members.sort(key=lambda m: (forest.joined_at[m], forest.ids[m]))
        best, start, first = 0, 0, 0
        for end, member in enumerate(members):
            while forest.joined_at[member] - forest.joined_at[members[start]] > window:
                start += 1
            if end - start + 1 > best:
                best, first = end - start + 1, start
        if best < rules.burst_invitees:
            continue
        burst = members[first : first + best]
        inviter_id = forest.ids[inviter]
        excess = (best - rules.burst_invitees) / rules.burst_invitees
        signals.append(
            RiskSignal(
                id=signal_id("burst", [inviter_id], "invitees"),
                kind="burst",
                score=round(min(1.0, 0.6 + 0.4 * excess), 4),
                members=sorted([inviter_id, *(forest.ids[m] for m in burst)]),
                summary=f"{inviter_id} gained {best} direct invitees within "
                f"{rules.burst_minutes} minutes",
                evidence={
                    "form": "invitees",
                    "inviter_id": inviter_id,
                    "invitees": best,
                    "minutes": rules.burst_minutes,
                    "from": forest.joined_at[burst[0]],
                    "to": forest.joined_at[burst[-1]],
                },
                at=forest.joined_at[burst[-1]],
            )
        )
    return signals


def _chain_bursts(forest: Forest, rules: SignalRules) -> list[RiskSignal]:
    """Chains of invitations each made chain_speedup times faster than the network's median
    time from an inviter's joining to her invitee's, chain_links or more in a row. A
    network whose median is 0 (invitees joining in their inviter's millisecond) has none."""
    gaps = [
        forest.joined_at[m] - forest.joined_at[i] for m, i in enumerate(forest.inviter) if i >= 0
    ]
    if not gaps:
        return []
    norm = statistics.median(gaps)
    fast_link = norm / rules.chain_speedup

    # run[m]: fast links in a row ending at m; start[m]: the member the run starts from.
    run: dict[int, int] = {}
    start: dict[int, int] = {}

    def settle(member: int) -> int:
        path = []
        at = member
        while at not in run:
            path.append(at)
            inviter = forest.inviter[at]
            if inviter < 0 or forest.joined_at[at] - forest.joined_at[inviter] >= fast_link:
                run[at], start[at] = 0, at
                path.pop()
                break
            at = inviter
        for m in reversed(path):
            inviter = forest.inviter[m]
            run[m] = run[inviter] + 1
            start[m] = start[inviter] if run[inviter] else inviter
        return run[member]

    chains: dict[int, list[int]] = defaultdict(list)
    for member in range(len(forest.ids)):
        if settle(member):
            chains[start[member]].append(member)
    signals = []
    for head, members in chains.items():
        links = max(run[m] for m in members)
        if links < rules.chain_links:
            continue
        head_id = forest.ids[head]
        chain = [head, *members]
        times = [forest.joined_at[m] for m in chain]
        link_times = [forest.joined_at[m] - forest.joined_at[forest.inviter[m]] for m in members]
        signals.append(
            RiskSignal(
                id=signal_id("burst", [head_id], "chain"),
                kind="burst",
                score=round(min(1.0, 0.5 + 0.1 * (links - rules.chain_links + 1)), 4),
                members=sorted(forest.ids[m] for m in chain),
                summary=f"a chain of {links} invitations from {head_id}, each within "
                f"{int(fast_link)} ms where the network's median is {int(norm)} ms",
                evidence={
                    "form": "chain",
                    "head_id": head_id,
                    "links": links,
                    "median_link_ms": int(statistics.median(link_times)),
                    "network_median_link_ms": int(norm),
                    "from": min(times),
                    "to": max(times),
                },
                at=max(times),
            )
        )
    return signals


def bonus_farming(
    forest: Forest,
    orders: Sequence[OrderFact],
    entries: Sequence[EntryFact],
    rules: SignalRules,
) -> list[RiskSignal]:
    """Inviters whose invitees buy to trigger her referral bonus and then refund: the share
    of her buying invitees with a refunded (at least half) bonus-granting order, against
    the network's share."""
    bonus_to: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        if entry.kind == "referral_bonus":
            bonus_to[entry.order_id].add(entry.beneficiary_id)
    buyers: dict[str, set[str]] = defaultdict(set)  # inviter -> her invitees who bought
    farmed: dict[str, dict[str, OrderFact]] = defaultdict(dict)
    for order in orders:
        at = forest.index.get(order.buyer_id)
        if at is None or forest.inviter[at] < 0:
            continue
        inviter = forest.ids[forest.inviter[at]]
        buyers[inviter].add(order.buyer_id)
        refunded = order.amount > 0 and 2 * order.refunded >= order.amount
        if refunded and inviter in bonus_to.get(order.id, ()):
            farmed[inviter].setdefault(order.buyer_id, order)
    total_buyers = sum(len(b) for b in buyers.values())
    total_farmed = sum(len(f) for f in farmed.values())
    network = total_farmed / total_buyers if total_buyers else 0.0
    signals = []
    for inviter, invitees in farmed.items():
        rate = len(invitees) / len(buyers[inviter])
        if len(invitees) < rules.farming_min or rate < max(
            rules.farming_rate, rules.farming_factor * network
        ):
            continue
        signals.append(
            RiskSignal(
                id=signal_id("bonus_farming", [inviter]),
                kind="bonus_farming",
                score=round(rate, 4),
                members=sorted([inviter, *invitees]),
                summary=f"{len(invitees)} of {inviter}'s {len(buyers[inviter])} buying invitees "
                f"refunded the order that paid her referral bonus ({rate:.0%}; network "
                f"{network:.1%})",
                evidence={
                    "inviter_id": inviter,
                    "refunded_invitees": len(invitees),
                    "buying_invitees": len(buyers[inviter]),
                    "rate": round(rate, 4),
                    "network_rate": round(network, 4),
                    "orders": sorted(o.id for o in invitees.values()),
                },
                at=max(o.placed_at for o in invitees.values()),
            )
        )
    return signals


def trading_rings(orders: Sequence[OrderFact], rules: SignalRules) -> list[RiskSignal]:
    """Strongly connected groups of the graph whose edges are share links (sharer → buyer)
    used ring_min_orders times or more."""
    links: dict[tuple[str, str], list[OrderFact]] = defaultdict(list)
    for order in orders:
        if order.shared_by and order.shared_by != order.buyer_id:
            links[(order.shared_by, order.buyer_id)].append(order)
    repeated = [pair for pair, used in links.items() if len(used) >= rules.ring_min_orders]
    if not repeated:
        return []
    names = sorted({m for pair in repeated for m in pair})
    index = {name: i for i, name in enumerate(names)}
    graph = igraph.Graph(
        n=len(names), edges=[(index[a], index[b]) for a, b in repeated], directed=True
    )
    signals = []
    for component in graph.connected_components(mode="strong"):
        if len(component) < 2:
            continue
        members = sorted(names[i] for i in component)
        inside = set(members)
        ring = sorted(
            (pair for pair in repeated if pair[0] in inside and pair[1] in inside),
            key=lambda p: p,
        )
        used = [o for pair in ring for o in links[pair]]
        signals.append(
            RiskSignal(
                id=signal_id("trading_ring", members),
                kind="trading_ring",
                score=round(min(1.0, 0.5 + 0.5 * len(ring) / (2 * len(members))), 4),
                members=members,
                summary=f"{len(members)} members bought {len(used)} times through each "
                f"other's share links ({len(ring)} links used {rules.ring_min_orders}+ times)",
                evidence={
                    "links": [
                        {
                            "sharer_id": a,
                            "buyer_id": b,
                            "orders": len(links[(a, b)]),
                            "amount": sum(o.amount for o in links[(a, b)]),
                        }
                        for a, b in ring
                    ]
                },
                at=max(o.placed_at for o in used),
            )
        )
    return signals
