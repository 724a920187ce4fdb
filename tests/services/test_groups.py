"""Group writes on both backends: retry-safe, and concurrent writers count each pair once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.core.errors import Conflict, NotFound
from app.domain.groups import GroupCreate, GroupKind
from app.domain.members import MemberCreate
from app.domain.tiers import DEFAULT_LADDER
from app.services import groups
from app.services.members import register_member
from app.store.cypher_store import CypherStore
from app.store.port import GraphStore
from tests.conftest import api_stack

CLIENTS = 8
READING = GroupCreate(id="reading", kind=GroupKind.TOPIC, name="Reading")


@pytest.fixture
def store(store: CypherStore) -> Iterator[GraphStore]:
    """Through the store stack the API serves from, so what runs behind the API is what
    these races test (FalkorDB's membership lock included)."""
    with api_stack(store) as grouped:
        yield grouped


def member(store: GraphStore, member_id: str) -> None:
    register_member(
        store=store, ladder=DEFAULT_LADDER, request=MemberCreate(id=member_id, joined_at=1), now=1
    )


def members_total(store: GraphStore, group_id: str) -> int:
    return groups.get_group(store=store, group_id=group_id).members_total


def test_eight_threads_adding_one_pair_count_her_once(store: GraphStore) -> None:
    member(store, "ann")
    groups.create_group(store=store, request=READING)
    with ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = list(
            pool.map(
                lambda _: groups.add_member(store=store, group_id="reading", member_id="ann"),
                range(CLIENTS),
            )
        )
    assert outcomes.count(True) == 1
    assert members_total(store, "reading") == 1
    assert store.group_members_page("reading", "", 10) == ["ann"]


def test_eight_threads_removing_one_pair_count_her_once(store: GraphStore) -> None:
    for member_id in ("ann", "bea"):
        member(store, member_id)
    groups.create_group(store=store, request=READING)
    store.add_group_members([("reading", "ann"), ("reading", "bea")])
    with ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = list(
            pool.map(
                lambda _: groups.remove_member(store=store, group_id="reading", member_id="ann"),
                range(CLIENTS),
            )
        )
    assert outcomes.count(True) == 1
    assert members_total(store, "reading") == 1


def test_concurrent_adds_of_many_members_lose_no_count(store: GraphStore) -> None:
    ids = [f"m{k}" for k in range(24)]
    for member_id in ids:
        member(store, member_id)
    groups.create_group(store=store, request=READING)
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(
            pool.map(
                lambda m: groups.add_member(store=store, group_id="reading", member_id=m),
                ids * 2,
            )
        )
    assert members_total(store, "reading") == len(ids)
    assert store.group_members_page("reading", "", 100) == sorted(ids)


def test_concurrent_creations_of_one_id_make_one_group(store: GraphStore) -> None:
    requests = [
        GroupCreate(id="hz", kind=GroupKind.REGION, name="Hangzhou" if k % 2 else "Zhejiang")
        for k in range(CLIENTS)
    ]

    def create(request: GroupCreate) -> bool | Conflict:
        try:
            return groups.create_group(store=store, request=request)[1]
        except Conflict as conflict:
            return conflict

    with ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = list(pool.map(create, requests))
    assert outcomes.count(True) == 1
    winner = groups.get_group(store=store, group_id="hz")
    for request, outcome in zip(requests, outcomes, strict=True):
        assert (outcome is True or outcome is False) == (request.name == winner.name)


def test_a_batch_adds_only_pairs_that_exist_and_are_new(store: GraphStore) -> None:
    for member_id in ("ann", "bea"):
        member(store, member_id)
    store.put_groups([READING, GroupCreate(id="hz", kind=GroupKind.REGION, name="Hangzhou")])
    pairs = [("reading", "ann"), ("reading", "bea"), ("hz", "ann"), ("nowhere", "ann"),
             ("hz", "nobody")]  # fmt: skip
    assert store.add_group_members(pairs) == {("reading", "ann"), ("reading", "bea"), ("hz", "ann")}
    assert store.add_group_members(pairs) == set()
    totals = {g.id: g.members_total for g in store.groups_by_id(["reading", "hz", "nowhere"])}
    assert totals == {"reading": 2, "hz": 1}
    assert [g.id for g in store.groups_of_member("ann", 10)] == ["hz", "reading"]


def test_unknown_group_or_member(store: GraphStore) -> None:
    member(store, "ann")
    with pytest.raises(NotFound, match="group nowhere"):
        groups.add_member(store=store, group_id="nowhere", member_id="ann")
    with pytest.raises(NotFound, match="group nowhere"):
        groups.remove_member(store=store, group_id="nowhere", member_id="ann")
    groups.create_group(store=store, request=READING)
    with pytest.raises(NotFound, match="member nobody"):
        groups.add_member(store=store, group_id="reading", member_id="nobody")
    assert groups.remove_member(store=store, group_id="reading", member_id="nobody") is False
    with pytest.raises(NotFound, match="member nobody"):
        groups.groups_of_member(store=store, member_id="nobody")
