"""The abuse-signal rules on small networks worked by hand, and on random ones against plain
recomputations (networkx for rings, every window for bursts)."""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.connectors import (
    CircleMembership,
    ConnectorArrays,
    ConnectorProjection,
    ProjectedMember,
)
from app.domain.identity import IdentityFact
from app.domain.signals import (
    MAX_RELATING_CIRCLE,
    EntryFact,
    Forest,
    OrderFact,
    SignalRules,
    bonus_farming,
    bursts,
    detect_signals,
    self_dealing,
    shared_identity,
    trading_rings,
)
from app.domain.tiers import DEFAULT_LADDER

MINUTE = 60_000
DAY = 24 * 60 * MINUTE
RULES = SignalRules()
PHONE = "a" * 64
PHONE_2 = "b" * 64
PAYOUT = "c" * 64


Row = tuple[str, str | None, int]


def forest(members: Sequence[Row], circles: dict[str, list[str]] | None = None) -> Forest:
    return Forest(arrays(members, circles))


def arrays(members: Sequence[Row], circles: dict[str, list[str]] | None = None) -> ConnectorArrays:
    projection = ConnectorProjection(
        members=tuple(
            ProjectedMember(
                id=i,
                inviter_id=p,
                joined_at=t,
                paid_direct_invites=0,
                tier=DEFAULT_LADDER.base_tier,
            )
            for i, p, t in members
        ),
        memberships=tuple(
            CircleMembership(member_id=m, circle_id=c)
            for c, ms in (circles or {}).items()
            for m in ms
        ),
        ladder=DEFAULT_LADDER,
    )
    return ConnectorArrays.from_projection(projection)


def fact(member_id: str, kind: str, value: str, at: int = 0) -> IdentityFact:
    return IdentityFact.model_validate(
        {"member_id": member_id, "kind": kind, "value": value, "at": at}
    )


def order(
    id: str,
    buyer: str,
    sharer: str | None = None,
    at: int = 0,
    amount: int = 1000,
    refunded: int = 0,
) -> OrderFact:
    return OrderFact(
        id=id, buyer_id=buyer, shared_by=sharer, placed_at=at, amount=amount, refunded=refunded
    )


# r ─ p ─┬─ s1 ─ g1
#        └─ s2 ─ g2 ─ h2
# f ─ f2 ─ f3        u1 and u2 in trees of their own; c1, c2 in circle "club"
NETWORK = [
    ("r", None, 0),
    ("p", "r", DAY),
    ("s1", "p", 2 * DAY),
    ("s2", "p", 3 * DAY),
    ("g1", "s1", 4 * DAY),
    ("g2", "s2", 5 * DAY),
    ("h2", "g2", 6 * DAY),
    ("f", None, 0),
    ("f2", "f", DAY),
    ("f3", "f2", 2 * DAY),
    ("u1", None, 0),
    ("u2", None, 0),
    ("c1", None, 0),
    ("c2", None, 0),
]


def test_shared_identity_joins_related_members_sharing_a_strong_fact() -> None:
    facts = [
        # A farm: f and her grand-invitee f3 on one device, f2 on f's phone: one group.
        fact("f", "device_id", "dev-farm-0001", at=10),
        fact("f3", "device_id", "dev-farm-0001", at=30),
        fact("f", "phone_hash", PHONE),
        fact("f2", "phone_hash", PHONE, at=20),
        fact("f2", "ip_prefix", "203.0.113.0/24"),
        fact("f3", "ip_prefix", "203.0.113.0/24"),
        # Siblings under p (their common inviter one hop up): related.
        fact("s1", "payout_account_hash", PAYOUT),
        fact("s2", "payout_account_hash", PAYOUT),
        # Cousins g1 and h2: their common ancestor p is 2 and 3 hops up: not related.
        fact("g1", "device_id", "dev-cousin-01"),
        fact("h2", "device_id", "dev-cousin-01"),
        # Strangers on one device (a family's tablet): not related, not a signal.
        fact("u1", "device_id", "dev-home-0001"),
        fact("u2", "device_id", "dev-home-0001"),
        # One circle, one phone: related through the circle.
        fact("c1", "phone_hash", PHONE_2),
        fact("c2", "phone_hash", PHONE_2),
        # Only an ip_prefix in common: never enough.
        fact("r", "ip_prefix", "198.51.100.0/24"),
        fact("p", "ip_prefix", "198.51.100.0/24"),
    ]
    found = {
        tuple(s.members): s
        for s in shared_identity(forest(NETWORK, {"club": ["c1", "c2"]}), facts, RULES)
    }
    assert set(found) == {("f", "f2", "f3"), ("s1", "s2"), ("c1", "c2")}
    farm = found[("f", "f2", "f3")]
    assert farm.evidence["relation"] == ["chain"]
    assert {(x["kind"], tuple(x["members"])) for x in farm.evidence["shared"]} == {
        ("device_id", ("f", "f3")),
        ("phone_hash", ("f", "f2")),
        ("ip_prefix", ("f2", "f3")),
    }
    # 1 - (1 - 0.7)(1 - 0.8)(1 - 0.2) = 1 - 0.3 * 0.2 * 0.8 = 0.952
    assert farm.score == 0.952
    assert farm.at == 30
    assert found[("s1", "s2")].score == 0.9
    assert found[("c1", "c2")].evidence["relation"] == ["circle"]


def test_a_fact_shared_by_a_crowd_names_nobody() -> None:
    members = [("hub", None, 0), *((f"m{i}", "hub", DAY) for i in range(60))]
    facts = [fact(f"m{i}", "device_id", "kiosk-000001") for i in range(60)]
    assert shared_identity(forest(members), facts, RULES) == []


def test_self_dealing_pairs_a_buyer_with_whoever_her_order_paid_who_shares_her_facts() -> None:
    facts = [
        fact("b", "phone_hash", PHONE),
        fact("x", "phone_hash", PHONE),
        fact("b", "device_id", "dev-b-000001"),
        fact("up", "device_id", "dev-b-000001"),
        fact("b", "ip_prefix", "203.0.113.0/24"),
        fact("y", "ip_prefix", "203.0.113.0/24"),
    ]
    orders = [
        order("o1", "b", sharer="x", at=5),
        order("o2", "b", sharer="x", at=7),
        order("o3", "b", sharer="y", at=9),  # y shares only a network prefix
        order("o4", "b", at=11),
    ]
    entries = [
        EntryFact(order_id="o4", beneficiary_id="up", kind="distribution"),
        EntryFact(order_id="o4", beneficiary_id="b", kind="self_rebate"),  # her own rebate
    ]
    found = {
        (s.evidence["buyer_id"], s.evidence["counterpart_id"]): s
        for s in self_dealing(facts, orders, entries)
    }
    assert set(found) == {("b", "x"), ("b", "up")}
    assert [o["order_id"] for o in found[("b", "x")].evidence["orders"]] == ["o1", "o2"]
    assert found[("b", "x")].evidence["orders"][0]["as"] == "sharer"
    assert found[("b", "up")].evidence["orders"][0]["as"] == "distribution"
    assert found[("b", "x")].score == 0.8 and found[("b", "x")].at == 7


def test_an_invitee_burst_counts_members_joined_in_one_millisecond_and_both_window_ends() -> None:
    # q's 8 invitees: 4 in the same millisecond at t, then t+1, t+2, t+5 minutes, and the
    # 8th exactly 10 minutes after t: a window of 10 minutes holds all 8 (ends inclusive).
    t = 10 * DAY
    times = [t, t, t, t, t + MINUTE, t + 2 * MINUTE, t + 5 * MINUTE, t + 10 * MINUTE]
    members = [("q", None, 0), *((f"i{k}", "q", at) for k, at in enumerate(times))]
    found = bursts(forest(members), RULES)
    assert [s.evidence["invitees"] for s in found if s.evidence["form"] == "invitees"] == [8]
    # One millisecond later, the 8th falls out of every window: 7, below the rule's 8.
    members[-1] = ("i7", "q", t + 10 * MINUTE + 1)
    assert [s for s in bursts(forest(members), RULES) if s.evidence["form"] == "invitees"] == []


def test_a_chain_grown_far_faster_than_the_norm_is_a_burst() -> None:
    # Twenty ordinary invitations a day apart set the network's median at a day; a fast
    # link is one under a day / 50 (28.8 minutes). a0 → a1 → … → a4: four links of one
    # minute each, a chain of 4 (the rule's minimum). b0 → … → b3: only 3.
    members: list[tuple[str, str | None, int]] = [("n0", None, 0)]
    members += [(f"n{k}", f"n{k - 1}", k * DAY) for k in range(1, 21)]
    # The median of the 27 links (7 of a minute, 20 of a day) is a day.
    members += [("a0", None, DAY)] + [(f"a{k}", f"a{k - 1}", DAY + k * MINUTE) for k in range(1, 5)]
    members += [("b0", None, DAY)] + [(f"b{k}", f"b{k - 1}", DAY + k * MINUTE) for k in range(1, 4)]
    chains = [s for s in bursts(forest(members), RULES) if s.evidence["form"] == "chain"]
    assert [(s.evidence["head_id"], s.evidence["links"]) for s in chains] == [("a0", 4)]
    assert chains[0].evidence["network_median_link_ms"] == DAY
    assert chains[0].members == ["a0", "a1", "a2", "a3", "a4"]


def test_a_network_whose_invitees_join_with_their_inviter_has_no_chain_bursts() -> None:
    members = [("z0", None, 5)] + [(f"z{k}", f"z{k - 1}", 5) for k in range(1, 10)]
    assert [s for s in bursts(forest(members), RULES) if s.evidence["form"] == "chain"] == []


def test_bonus_farming_is_a_share_of_refunded_bonus_orders_far_above_the_network() -> None:
    # p's invitees v0..v3 bought; v0, v1, v2 refunded the order that paid p a referral
    # bonus (v2 refunded exactly half: counts), v3 kept hers: 3/4 = 0.75.
    # q's invitees w0..w9 bought and kept theirs; k's w10 refunded a fifth of hers (under
    # half: kept). The network's share is 3 / 15 = 0.2, and 3 times that is 0.6 <= 0.75:
    # p is flagged.
    members: list[Row] = [("p", None, 0), ("q", None, 0), ("k", None, 0), ("w10", "k", DAY)]
    members += [(f"v{k}", "p", DAY) for k in range(4)] + [(f"w{k}", "q", DAY) for k in range(10)]
    orders = [
        order("ov0", "v0", at=2 * DAY, refunded=1000),
        order("ov1", "v1", at=3 * DAY, refunded=1000),
        order("ov2", "v2", at=4 * DAY, refunded=500),
        order("ov3", "v3", at=5 * DAY),
        *(order(f"ow{k}", f"w{k}", at=2 * DAY) for k in range(10)),
        order("ow10", "w10", at=2 * DAY, refunded=200),
    ]
    entries = [
        EntryFact(order_id=f"ov{k}", beneficiary_id="p", kind="referral_bonus") for k in range(4)
    ]
    entries += [
        EntryFact(order_id=f"ow{k}", beneficiary_id="q" if k < 10 else "k", kind="referral_bonus")
        for k in range(11)
    ]
    [signal] = bonus_farming(forest(members), orders, entries, RULES)
    assert signal.members == ["p", "v0", "v1", "v2"]
    assert signal.evidence["rate"] == 0.75 and signal.evidence["network_rate"] == 0.2
    assert signal.score == 0.75 and signal.at == 4 * DAY
    # Without the bonus entries the refunds are plain refunds: nothing to farm.
    assert bonus_farming(forest(members), orders, entries[4:], RULES) == []
    # Nor when the rest of the network refunds nearly as often: 3 times its share is above
    # p's (k's refund made whole: 4 of 15, 3 * 0.267 = 0.8 > 0.75).
    orders[-1] = order("ow10", "w10", at=2 * DAY, refunded=1000)
    assert bonus_farming(forest(members), orders, entries, RULES) == []


def test_trading_rings_are_cycles_of_repeated_share_links() -> None:
    orders = [
        *(order(f"ab{k}", "b", sharer="a") for k in range(2)),
        *(order(f"bc{k}", "c", sharer="b") for k in range(2)),
        *(order(f"ca{k}", "a", sharer="c") for k in range(3)),
        # d and e: d → e twice, e → d once: not repeated both ways.
        *(order(f"de{k}", "e", sharer="d") for k in range(2)),
        order("ed0", "d", sharer="e"),
    ]
    [ring] = trading_rings(orders, RULES)
    assert ring.members == ["a", "b", "c"]
    assert [(x["sharer_id"], x["buyer_id"], x["orders"]) for x in ring.evidence["links"]] == [
        ("a", "b", 2),
        ("b", "c", 2),
        ("c", "a", 3),
    ]


links = st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7), st.integers(1, 3)), max_size=20)


@settings(max_examples=200, deadline=None)
@given(links)
def test_every_ring_member_is_on_a_cycle_of_repeated_links_and_every_such_member_is_found(
    drawn: list[tuple[int, int, int]],
) -> None:
    orders = [
        order(f"o{n}-{k}", f"m{b}", sharer=f"m{a}")
        for n, (a, b, times) in enumerate(drawn)
        for k in range(times)
    ]
    counts: dict[tuple[str, str], int] = {}
    for o in orders:
        if o.shared_by != o.buyer_id:
            key = (o.shared_by or "", o.buyer_id)
            counts[key] = counts.get(key, 0) + 1
    oracle = nx.DiGraph([pair for pair, n in counts.items() if n >= RULES.ring_min_orders])
    on_cycles = {m for cycle in nx.simple_cycles(oracle) for m in cycle}
    found = {m for ring in trading_rings(orders, RULES) for m in ring.members}
    assert found == on_cycles


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=25))
def test_the_invitee_burst_is_the_densest_window_of_every_window(minutes: list[int]) -> None:
    # Joins on a coarse grid of minutes: many in one millisecond.
    rules = SignalRules(burst_invitees=3, burst_minutes=5)
    members = [("q", None, 0), *((f"i{k}", "q", DAY + m * MINUTE) for k, m in enumerate(minutes))]
    found = [s for s in bursts(forest(members), rules) if s.evidence["form"] == "invitees"]
    densest = max(sum(1 for m in minutes if start <= m <= start + 5) for start in set(minutes))
    assert [s.evidence["invitees"] for s in found] == ([densest] if densest >= 3 else [])


def test_detect_signals_orders_every_kind_strongest_first() -> None:
    network = arrays(NETWORK)
    facts = [fact("s1", "payout_account_hash", PAYOUT), fact("s2", "payout_account_hash", PAYOUT)]
    orders = [order(f"x{k}", "s2", sharer="s1") for k in range(2)] + [
        order(f"y{k}", "s1", sharer="s2") for k in range(2)
    ]
    found = detect_signals(network, facts, orders, [], RULES)
    # The payout account scores 0.9 for each of the three; the ring 0.5 + 0.5 * 2 / 4.
    assert [(s.kind, s.score) for s in found] == [
        ("self_dealing", 0.9),
        ("self_dealing", 0.9),
        ("shared_identity", 0.9),
        ("trading_ring", 0.75),
    ]
    assert [s.id for s in found[:3]] == sorted(s.id for s in found[:3])


def test_a_pair_dealing_both_ways_is_two_signals_with_two_ids() -> None:
    # a buys through b's link and b through a's: one finding per (buyer, counterpart), each
    # with an id of its own (ids are what the pages' cursors and the store tell apart).
    facts = [fact("a", "phone_hash", PHONE), fact("b", "phone_hash", PHONE)]
    orders = [order("o1", "a", sharer="b", at=5), order("o2", "b", sharer="a", at=7)]
    found = self_dealing(facts, orders, [])
    assert sorted((s.evidence["buyer_id"], s.evidence["counterpart_id"]) for s in found) == [
        ("a", "b"),
        ("b", "a"),
    ]
    assert len({s.id for s in found}) == 2


def test_a_crowded_circle_relates_nobody() -> None:
    # u1 and u2 (trees of their own) share a family tablet. In a club of two they are
    # related by the circle; in a topic group of 60 (more than MAX_RELATING_CIRCLE) they
    # are two strangers who happen to share a household, as off any circle.
    facts = [fact("u1", "device_id", "dev-home-0001"), fact("u2", "device_id", "dev-home-0001")]
    club = {"club": ["u1", "u2"]}
    assert [s.members for s in shared_identity(forest(NETWORK, club), facts, RULES)] == [
        ["u1", "u2"]
    ]
    crowd = [("u1", None, 0), ("u2", None, 0), *((f"x{k}", None, 0) for k in range(58))]
    group = {"topic": [m for m, _, _ in crowd]}
    assert len(crowd) > MAX_RELATING_CIRCLE
    assert shared_identity(forest(crowd, group), facts, RULES) == []
