"""What the tier read returns for the spend ladder, and super memberships in the store, on
both backends."""

from __future__ import annotations

import pytest

from app.domain import spend
from app.domain.ledger import OrderCreate, RefundCreate
from app.domain.members import NewMemberRow
from app.domain.spend import DEFAULT_SPEND_LADDER, LOOKBACK_MS, Purchase, SpendLadder, Term
from app.domain.super_membership import SuperMembership, SuperMembershipCreate
from app.domain.tiers import DEFAULT_LADDER
from app.store.cypher_store import CypherStore
from tests.engines import run_cypher

DAY = 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00Z
USD_LADDER = SpendLadder(currency="USD", levels=DEFAULT_SPEND_LADDER.levels)


class Buyer:
    """Orders and refunds of one member, written as the ledger writes them (no plan, so no
    entries), keeping her purchase sequence."""

    def __init__(self, store: CypherStore, member_id: str, joined_at: int = T0) -> None:
        row = NewMemberRow(
            id=member_id, inviter_id=None, name=None, joined_at=joined_at, attributes_json=None
        )
        assert store.register_members([row], DEFAULT_LADDER) == [member_id]
        self.store, self.id, self.seq = store, member_id, 0
        self.refunded: dict[str, int] = {}

    def buy(self, order_id: str, amount: int, at: int, currency: str = "CNY") -> None:
        order = OrderCreate(
            id=order_id, buyer_id=self.id, amount=amount, currency=currency, placed_at=at
        )
        assert self.store.record_order(order, None, [], expected_seq=self.seq, tier_seqs={}, now=at)
        self.seq += 1
        self.refunded[order_id] = 0

    def refund(self, order_id: str, amount: int, at: int) -> None:
        refund = RefundCreate(id=f"{order_id}-r{self.seq}", amount=amount, refunded_at=at)
        before = self.refunded[order_id]
        [order] = self.store.orders_by_id([order_id])
        assert self.store.record_refund(
            order,
            refund,
            [],
            expected_refunded=before,
            expected_seq=None,
            next_first=None,
            now=at,
        )
        self.seq += 1
        self.refunded[order_id] = before + amount


def membership(
    membership_id: str, starts_at: int, expires_at: int, amount: int = 19_900
) -> SuperMembershipCreate:
    return SuperMembershipCreate(
        id=membership_id, starts_at=starts_at, expires_at=expires_at, amount=amount,
        currency="CNY",
    )  # fmt: skip


def test_the_tier_read_returns_her_purchases_of_two_years_net_of_refunds(
    store: CypherStore,
) -> None:
    ann = Buyer(store, "ann")
    ann.buy("old", 100, T0)  # more than two years before `at`
    ann.buy("a", 1000, T0 + 10 * DAY)
    ann.buy("b", 500, T0 + 20 * DAY)
    ann.refund("b", 200, T0 + 21 * DAY)
    ann.buy("gone", 700, T0 + 30 * DAY)
    ann.refund("gone", 700, T0 + 31 * DAY)  # fully refunded: no purchase
    ann.buy("usd", 900, T0 + 40 * DAY, currency="USD")
    ann.buy("later", 800, T0 + 800 * DAY)  # after `at`
    Buyer(store, "bob").buy("other", 5000, T0 + 10 * DAY)
    at = T0 + 5 * DAY + LOOKBACK_MS
    snapshot = store.tier_snapshot("ann", at, DEFAULT_SPEND_LADDER)
    assert snapshot is not None
    assert (snapshot.tier, snapshot.paid_direct_invites, snapshot.joined_at) == ("bee", 0, T0)
    assert snapshot.purchases == [Purchase(T0 + 20 * DAY, 300), Purchase(T0 + 10 * DAY, 1000)]
    assert snapshot.memberships == []
    usd = store.tier_snapshot("ann", at, USD_LADDER)
    assert usd is not None and usd.purchases == [Purchase(T0 + 40 * DAY, 900)]
    # The window's edges: ($at - two years, $at].
    edge = store.tier_snapshot("ann", T0 + 10 * DAY + LOOKBACK_MS, DEFAULT_SPEND_LADDER)
    assert edge is not None and [p.placed_at for p in edge.purchases] == [T0 + 20 * DAY]
    on_time = store.tier_snapshot("ann", T0 + 10 * DAY, DEFAULT_SPEND_LADDER)
    assert on_time is not None
    assert on_time.purchases == [Purchase(T0 + 10 * DAY, 1000), Purchase(T0, 100)]


def test_the_tier_read_of_an_unknown_member_is_none(store: CypherStore) -> None:
    assert store.tier_snapshot("ghost", T0, DEFAULT_SPEND_LADDER) is None


def test_the_tier_read_is_bounded_to_the_newest(
    store: CypherStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spend, "MAX_PURCHASES", 3)
    monkeypatch.setattr(spend, "MAX_MEMBERSHIPS", 2)
    ann = Buyer(store, "ann")
    for k in range(6):
        ann.buy(f"o{k}", 100 + k, T0 + k * DAY)
    for k in range(4):
        start = T0 + k * 365 * DAY
        assert store.put_super_membership("ann", membership(f"s{k}", start, start + 365 * DAY), T0)
    snapshot = store.tier_snapshot("ann", T0 + 10 * DAY, DEFAULT_SPEND_LADDER)
    assert snapshot is not None
    assert sorted(snapshot.purchases, reverse=True) == snapshot.purchases
    assert snapshot.purchases == [Purchase(T0 + k * DAY, 100 + k) for k in (5, 4, 3)]
    assert snapshot.memberships == [
        Term(T0 + k * 365 * DAY, T0 + (k + 1) * 365 * DAY) for k in (3, 2)
    ]


def test_a_super_membership_is_written_once(store: CypherStore) -> None:
    Buyer(store, "ann", joined_at=T0)
    first = membership("s1", T0, T0 + 365 * DAY)
    assert store.put_super_membership("ann", first, now=T0 + 5)
    assert not store.put_super_membership("ann", first, now=T0 + 6)
    assert not store.put_super_membership("ann", membership("s1", T0, T0 + 1), now=T0 + 6)
    assert store.super_memberships_by_id(["s1", "nope"]) == [
        SuperMembership(**first.model_dump(), member_id="ann", created_at=T0 + 5)
    ]
    snapshot = store.tier_snapshot("ann", T0, DEFAULT_SPEND_LADDER)
    assert snapshot is not None and snapshot.memberships == [Term(T0, T0 + 365 * DAY)]


def test_a_super_membership_needs_a_member_who_had_joined(store: CypherStore) -> None:
    Buyer(store, "ann", joined_at=T0)
    assert not store.put_super_membership("ghost", membership("s1", T0, T0 + 1), now=T0)
    assert not store.put_super_membership("ann", membership("s2", T0 - 1, T0 + 1), now=T0)
    assert store.super_memberships_by_id(["s1", "s2"]) == []


def test_super_membership_ids_are_unique_in_the_schema(store: CypherStore) -> None:
    Buyer(store, "ann")
    assert store.put_super_membership("ann", membership("s1", T0, T0 + 1), now=T0)
    with pytest.raises(Exception, match=r"(?i)constraint|already exists|unique"):
        run_cypher(store, "CREATE (:SuperMembership {id: 's1', member_id: 'x'})")
