"""Concurrent writers on both backends: one winner per id, no lost counter update."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from app.core.errors import Conflict
from app.domain.members import Member, MemberCreate
from app.domain.tiers import DEFAULT_LADDER
from app.services.members import mark_member_paid, register_member
from app.store.cypher_store import CypherStore

CLIENTS = 16


def register(store: CypherStore, request: MemberCreate) -> tuple[Member, bool] | Conflict:
    try:
        return register_member(store=store, ladder=DEFAULT_LADDER, request=request, now=5)
    except Conflict as conflict:
        return conflict


def test_sixteen_clients_registering_one_id_make_one_member(store: CypherStore) -> None:
    register(store, MemberCreate(id="root", joined_at=1))
    register(store, MemberCreate(id="other", joined_at=1))
    requests = [
        MemberCreate(id="contested", inviter_id="root" if k % 2 else "other", joined_at=2)
        for k in range(CLIENTS)
    ]
    with ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = list(pool.map(lambda r: register(store, r), requests))
    wins = [o for o in outcomes if isinstance(o, tuple) and o[1]]
    assert len(wins) == 1
    winner = wins[0][0]
    for request, outcome in zip(requests, outcomes, strict=True):
        if request.inviter_id == winner.inviter_id:
            assert isinstance(outcome, tuple) and outcome[0] == winner
        else:
            assert isinstance(outcome, Conflict)
    [root, other] = store.get_members(["root", "other"])
    assert root.downline_total + other.downline_total == 1
    for record in (root, other):
        assert store.downline_by_traversal(record.id) == (
            record.downline_total,
            record.downline_paid,
        )


def test_concurrent_writes_under_one_root_lose_no_update(store: CypherStore) -> None:
    register(store, MemberCreate(id="root", joined_at=1))
    register(store, MemberCreate(id="mid", inviter_id="root", joined_at=1))
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(
            lambda k: register(store, MemberCreate(id=f"leaf{k}", inviter_id="mid", joined_at=2)),
            range(64),
        ))  # fmt: skip
        list(pool.map(
            lambda k: mark_member_paid(
                store=store, ladder=DEFAULT_LADDER, member_id=f"leaf{k % 8}", paid_at=None, now=9
            ),
            range(64),
        ))  # fmt: skip
    [root, mid] = store.get_members(["root", "mid"])
    assert (root.downline_total, root.downline_paid) == (65, 8)
    assert (mid.direct_total, mid.direct_paid, mid.tier) == (64, 8, "butterfly")
    assert store.downline_by_traversal("root") == (65, 8)
    assert len(store.tier_history("mid")) == 1


@pytest.mark.parametrize("clients", [CLIENTS])
def test_concurrent_paid_marks_of_one_member_count_once(store: CypherStore, clients: int) -> None:
    register(store, MemberCreate(id="root", joined_at=1))
    register(store, MemberCreate(id="kid", inviter_id="root", joined_at=1))
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(
            lambda _: mark_member_paid(
                store=store, ladder=DEFAULT_LADDER, member_id="kid", paid_at=None, now=7
            ),
            range(clients),
        ))  # fmt: skip
    [root] = store.get_members(["root"])
    assert (root.direct_paid, root.downline_paid) == (1, 1)
