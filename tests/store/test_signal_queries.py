"""What a signals run reads, in pages of two (two members on Neo4j, two internal ids on
FalkorDB, so most pages there are empty or part-filled): exactly the facts and orders that
were written, each once, whatever the page size."""

from __future__ import annotations

import pytest

from app.domain.identity import IdentityKind, MemberIdentity
from app.domain.ledger import OrderCreate, RefundCreate
from app.domain.members import NewMemberRow
from app.domain.plans import DAY_MS
from app.domain.tiers import DEFAULT_LADDER
from app.services.orders import post_order, post_refund
from app.store import signal_queries
from app.store.cypher_store import CypherStore

NOW = 1_767_225_600_000
DEVICE = "tablet-0001"
PHONE = "ab" * 16


@pytest.fixture(autouse=True)
def pages_of_two(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signal_queries, "EXPORT_PAGE", 2)


def members(store: CypherStore, count: int) -> list[str]:
    ids = [f"m{i}" for i in range(count)]
    rows = [
        NewMemberRow(
            id=member_id, inviter_id=None if i == 0 else "m0", name=None,
            joined_at=NOW - (count - i) * DAY_MS, attributes_json=None,
        )
        for i, member_id in enumerate(ids)
    ]  # fmt: skip
    assert store.register_members(rows[:1], DEFAULT_LADDER) == ids[:1]
    assert store.register_members(rows[1:], DEFAULT_LADDER) == ids[1:]
    return ids


def test_every_identity_fact_is_read_once(store: CypherStore) -> None:
    ids = members(store, 7)
    written: set[tuple[str, IdentityKind, str, int]] = set()
    for i, member_id in enumerate(ids):
        facts: list[tuple[IdentityKind, str]] = [("ip_prefix", f"10.0.{i % 2}.0/24")]
        if i % 3 == 0:
            facts.append(("device_id", DEVICE))
        if i in (2, 5):
            facts.append(("phone_hash", PHONE))
        at = NOW + i
        assert store.put_identity_facts(member_id, facts, at, at)
        written |= {(member_id, kind, value, at) for kind, value in facts}
    # Sent again later: a fact keeps when it was first seen, and is stored once.
    assert store.put_identity_facts("m3", [("device_id", DEVICE)], NOW + 99, NOW + 99)
    # Members with no facts in between make the pages uneven.
    members_without = [
        NewMemberRow(
            id=f"z{i}", inviter_id="m1", name=None, joined_at=NOW, attributes_json=None
        )
        for i in range(3)
    ]  # fmt: skip
    assert len(store.register_members(members_without, DEFAULT_LADDER)) == 3

    read = [(f.member_id, f.kind, f.value, f.at) for f in store.identity_facts()]

    assert len(read) == len(written) == 7 + 3 + 2  # prefixes, devices, phones
    assert set(read) == written


def test_facts_go_only_to_members(store: CypherStore) -> None:
    members(store, 3)
    device: list[tuple[IdentityKind, str]] = [("device_id", DEVICE)]

    assert not store.put_identity_facts("nobody", device, NOW, NOW)
    written = store.put_identity_facts_of_members(
        [
            MemberIdentity("m0", device, NOW),
            MemberIdentity("ghost", device, NOW),
            MemberIdentity("m2", [("phone_hash", PHONE), *device], NOW + 1),
            MemberIdentity("m1", [], NOW),
        ],
        NOW + 5,
    )

    assert written == {"m0", "m2"}
    assert sorted((f.member_id, f.kind, f.at) for f in store.identity_facts()) == [
        ("m0", "device_id", NOW),
        ("m2", "device_id", NOW + 1),
        ("m2", "phone_hash", NOW + 1),
    ]


def test_every_order_is_read_once_with_its_sharer_and_refunds(store: CypherStore) -> None:
    ids = members(store, 4)
    placed: dict[str, tuple[str, str | None, int, int]] = {}
    for i in range(9):
        sharer = None if i % 3 == 0 else ids[(i + 1) % 4]
        order = OrderCreate(
            id=f"o{i}", buyer_id=ids[i % 4], amount=1_000 + i, currency="CNY",
            placed_at=NOW + i, shared_by=sharer,
        )  # fmt: skip
        post_order(store=store, ladder=DEFAULT_LADDER, request=order, now=NOW + i)
        placed[order.id] = (order.buyer_id, sharer, order.placed_at, order.amount)
    refund = RefundCreate(id="r1", amount=400, refunded_at=NOW + 50)
    post_refund(store=store, ladder=DEFAULT_LADDER, order_id="o4", request=refund, now=NOW + 50)

    read = {o.id: o for o in store.signal_orders()}

    assert len(store.signal_orders()) == len(placed) == 9
    assert {
        order_id: (o.buyer_id, o.shared_by, o.placed_at, o.amount) for order_id, o in read.items()
    } == placed
    assert {order_id: o.refunded for order_id, o in read.items() if o.refunded} == {"o4": 400}
