"""Concurrent writers on both backends: one winner per id, no lost counter update."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.core.errors import Conflict
from app.domain.ledger import OrderCreate
from app.domain.members import Member, MemberCreate
from app.domain.plans import Plan
from app.domain.tiers import DEFAULT_LADDER
from app.services.members import mark_member_paid, register_member
from app.services.orders import post_order
from app.services.plans import load_plan
from app.store.cypher_store import CypherStore
from app.store.port import GraphStore
from tests.conftest import api_stack

CLIENTS = 16


@pytest.fixture
def store(store: CypherStore) -> Iterator[GraphStore]:
    """Through the store stack the API serves from, so what runs behind the API is what
    these races test (the group commit included)."""
    with api_stack(store) as grouped:
        yield grouped


def register(store: GraphStore, request: MemberCreate) -> tuple[Member, bool] | Conflict:
    try:
        return register_member(store=store, ladder=DEFAULT_LADDER, request=request, now=5)
    except Conflict as conflict:
        return conflict


def test_sixteen_clients_registering_one_id_make_one_member(store: GraphStore) -> None:
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


def test_concurrent_writes_under_one_root_lose_no_update(store: GraphStore) -> None:
    register(store, MemberCreate(id="root", joined_at=1))
    register(store, MemberCreate(id="mid", inviter_id="root", joined_at=1))
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(
            pool.map(
                lambda k: register(
                    store, MemberCreate(id=f"leaf{k}", inviter_id="mid", joined_at=2)
                ),
                range(64),
            )
        )
        list(
            pool.map(
                lambda k: mark_member_paid(
                    store=store,
                    ladder=DEFAULT_LADDER,
                    member_id=f"leaf{k % 8}",
                    paid_at=None,
                    now=9,
                ),
                range(64),
            )
        )
    [root, mid] = store.get_members(["root", "mid"])
    assert (root.downline_total, root.downline_paid) == (65, 8)
    assert (mid.direct_total, mid.direct_paid, mid.tier) == (64, 8, "butterfly")
    assert store.downline_by_traversal("root") == (65, 8)
    assert len(store.tier_history("mid")) == 1


@pytest.mark.parametrize("clients", [CLIENTS])
def test_concurrent_paid_marks_of_one_member_count_once(store: GraphStore, clients: int) -> None:
    register(store, MemberCreate(id="root", joined_at=1))
    register(store, MemberCreate(id="kid", inviter_id="root", joined_at=1))
    with ThreadPoolExecutor(clients) as pool:
        list(
            pool.map(
                lambda _: mark_member_paid(
                    store=store, ladder=DEFAULT_LADDER, member_id="kid", paid_at=None, now=7
                ),
                range(clients),
            )
        )
    [root] = store.get_members(["root"])
    assert (root.direct_paid, root.downline_paid) == (1, 1)


def test_one_order_posted_by_sixteen_clients_writes_one_set_of_entries(
    store: GraphStore,
) -> None:
    ledger_network(store)
    request = OrderCreate(
        id="rush", buyer_id="kid", amount=10_000, currency="CNY", placed_at=10, shared_by="kid"
    )
    with ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = list(
            pool.map(
                lambda _: post_order(store=store, ladder=DEFAULT_LADDER, request=request, now=20),
                range(CLIENTS),
            )
        )
    assert sorted(created for _, created in outcomes) == [False] * (CLIENTS - 1) + [True]
    assert len({posted.model_dump_json() for posted, _ in outcomes}) == 1
    assert len(store.entries_of_orders(["rush"])) == len(outcomes[0][0].entries) == 3


def test_concurrent_first_orders_of_one_buyer_pay_her_inviter_one_bonus(
    store: GraphStore,
) -> None:
    ledger_network(store)
    requests = [
        OrderCreate(id=f"o{k}", buyer_id="kid", amount=1000, currency="CNY", placed_at=10 + k)
        for k in range(CLIENTS)
    ]
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(
            pool.map(
                lambda r: post_order(store=store, ladder=DEFAULT_LADDER, request=r, now=50),
                requests,
            )
        )
    entries = store.entries_of_orders([r.id for r in requests])
    assert [e.beneficiary_id for e in entries if e.kind == "referral_bonus"] == ["mum"]
    assert sum(1 for e in entries if e.kind == "self_rebate") == CLIENTS


def ledger_network(store: GraphStore) -> None:
    register(store, MemberCreate(id="mum", joined_at=1))
    register(store, MemberCreate(id="kid", inviter_id="mum", joined_at=1))
    rules = [
        {"kind": "referral_bonus", "amount": 100},
        {"kind": "self_rebate", "rate_bp": 100},
        {"kind": "distribution", "level_rates_bp": [100]},
    ]
    plan = Plan.model_validate(
        {
            "version": "p",
            "effective_from": 0,
            "currency": "CNY",
            "max_levels": 1,
            "rate_ceiling_bp": 300,
            "rules": rules,
        }
    )
    load_plan(store=store, ladder=DEFAULT_LADDER, plan=plan, now=1)
