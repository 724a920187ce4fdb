"""The store contract: what every backend must do, run on each of them."""

from __future__ import annotations

from contextlib import nullcontext

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import InvalidInput
from app.domain.members import TRACKED_LEVELS, NewMemberRow, PaidRow
from app.domain.tiers import TierLadder, TierStep, tier_reached
from app.store.catalogue import Backend
from app.store.cypher_store import CypherStore
from app.store.migrations import apply_migrations
from tests.engines import ROOT

LADDER = TierLadder(
    steps=(
        TierStep(tier="bee", min_paid_invites=0),
        TierStep(tier="butterfly", min_paid_invites=2),
        TierStep(tier="peacock", min_paid_invites=3),
        TierStep(tier="phoenix", min_paid_invites=5),
    )
)


def member(member_id: str, inviter_id: str | None = None, joined_at: int = 1) -> NewMemberRow:
    return NewMemberRow(
        id=member_id, inviter_id=inviter_id, name=None, joined_at=joined_at, attributes_json=None
    )


def chain(store: CypherStore, length: int) -> list[str]:
    ids = [f"c{i}" for i in range(length)]
    for parent, child in zip([None, *ids], ids, strict=False):
        assert store.register_members([member(child, parent)], LADDER) == [child]
    return ids


def test_registration_creates_member_with_zero_counters(store: CypherStore) -> None:
    assert store.register_members([member("root")], LADDER) == ["root"]
    [record] = store.get_members(["root"])
    assert (record.inviter_id, record.depth, record.tier, record.tier_since) == (None, 0, "bee", 1)
    assert record.downline_total == record.downline_paid == 0
    assert record.levels_total == record.levels_paid == [0] * TRACKED_LEVELS


def test_registration_updates_every_ancestor(store: CypherStore) -> None:
    ids = chain(store, 4)
    records = {r.id: r for r in store.get_members(ids)}
    assert [records[i].downline_total for i in ids] == [3, 2, 1, 0]
    assert records["c0"].levels_total[:4] == [1, 1, 1, 0]
    assert [records[i].depth for i in ids] == [0, 1, 2, 3]
    assert store.upline("c3", 10) == ["c2", "c1", "c0"]
    assert store.upline("c3", 2) == ["c2", "c1"]
    assert store.upline("c0", 10) == []
    assert store.upline("nobody", 10) is None


def test_rows_breaking_an_invariant_are_not_created(store: CypherStore) -> None:
    store.register_members([member("a")], LADDER)
    created = store.register_members(
        [member("a"), member("self", "self"), member("orphan", "missing"), member("b", "a")],
        LADDER,
    )
    assert created == ["b"]
    assert {r.id for r in store.get_members(["a", "self", "orphan", "b"])} == {"a", "b"}
    assert store.get_members(["a"])[0].downline_total == 1


def test_no_member_is_created_before_her_inviter_joined(store: CypherStore) -> None:
    store.register_members([member("mum", joined_at=500)], LADDER)
    created = store.register_members(
        [
            member("early", "mum", joined_at=499),
            member("twin", "mum", joined_at=500),  # the same millisecond is fine
            member("late", "mum", joined_at=501),
        ],
        LADDER,
    )
    assert sorted(created) == ["late", "twin"]
    assert store.get_members(["early"]) == []
    assert store.get_members(["mum"])[0].downline_total == 2
    assert store.members_joined_before_inviter() == []


def test_mark_paid_counts_once_and_crosses_tiers_with_history(store: CypherStore) -> None:
    store.register_members([member("boss")], LADDER)
    store.register_members([member(f"i{k}", "boss") for k in range(6)], LADDER)
    assert store.mark_paid([PaidRow(id="i0", paid_at=100)], LADDER) == ["i0"]
    assert store.mark_paid([PaidRow(id="i0", paid_at=100)], LADDER) == []  # a retry
    marked = store.mark_paid([PaidRow(id=f"i{k}", paid_at=100 + k) for k in range(1, 6)], LADDER)
    assert sorted(marked) == [f"i{k}" for k in range(1, 6)]
    [boss] = store.get_members(["boss"])
    assert (boss.direct_paid, boss.downline_paid, boss.tier, boss.tier_since) == (
        6,
        6,
        "phoenix",
        104,
    )
    history = store.tier_history("boss")
    assert [(c.previous, c.tier, c.at, c.seq) for c in history] == [
        ("bee", "butterfly", 101, 1),
        ("butterfly", "peacock", 102, 2),
        ("peacock", "phoenix", 104, 3),
    ]
    assert [c.tier for c in store.tier_changes_until("boss", 103)] == ["butterfly", "peacock"]
    assert store.tier_changes_until("boss", 100) == []
    assert store.paid_direct_invites_at("boss", 102) == 3


def test_a_late_paid_mark_moves_each_crossing_to_its_true_time(store: CypherStore) -> None:
    """She reaches k paid invites at the k-th earliest paid time, whatever order the marks
    arrive in: a late mark records the earlier crossing beside the one it corrects."""
    store.register_members([member("boss")], LADDER)
    store.register_members([member(f"i{k}", "boss") for k in range(4)], LADDER)

    def tier_at(moment: int) -> str:
        changes = store.tier_changes_until("boss", moment)
        return tier_reached([c.stamp() for c in changes], LADDER)

    store.mark_paid([PaidRow(id="i0", paid_at=100), PaidRow(id="i1", paid_at=200)], LADDER)
    assert [tier_at(t) for t in (199, 200)] == ["bee", "butterfly"]
    # i2 paid at 150, told late: two paid by 150 (butterfly), three by 200 (peacock).
    store.mark_paid([PaidRow(id="i2", paid_at=150)], LADDER)
    moments = (149, 150, 199, 200)
    assert [tier_at(t) for t in moments] == ["bee", "butterfly", "butterfly", "peacock"]
    # i3 paid at 180, after the crossing it does not move and before the one it does.
    store.mark_paid([PaidRow(id="i3", paid_at=180)], LADDER)
    moments = (149, 150, 179, 180)
    assert [tier_at(t) for t in moments] == ["bee", "butterfly", "butterfly", "peacock"]
    history = [(c.seq, c.previous, c.tier, c.at) for c in store.tier_history("boss")]
    assert history == [
        (1, "bee", "butterfly", 200),
        (2, "bee", "butterfly", 150),
        (3, "butterfly", "peacock", 200),
        (4, "butterfly", "peacock", 180),
    ]
    [boss] = store.get_members(["boss"])
    assert (boss.tier, boss.tier_since, boss.direct_paid) == ("peacock", 180, 4)


def test_unknown_member_is_not_marked(store: CypherStore) -> None:
    assert store.mark_paid([PaidRow(id="ghost", paid_at=1)], LADDER) == []


def test_traversal_agrees_with_counters(store: CypherStore) -> None:
    ids = chain(store, 5)
    store.register_members([member("side", "c1")], LADDER)
    store.mark_paid([PaidRow(id="side", paid_at=5), PaidRow(id="c4", paid_at=6)], LADDER)
    for record in store.get_members([*ids, "side"]):
        assert store.downline_by_traversal(record.id) == (
            record.downline_total,
            record.downline_paid,
        )


def test_forest_export_lists_every_member_with_its_edges(store: CypherStore) -> None:
    chain(store, 3)
    rows = {row.id: row for row in store.iter_forest()}
    assert set(rows) == {"c0", "c1", "c2"}
    assert rows["c2"].edge_targets == ["c1"] and rows["c0"].edge_targets == []


def test_migrations_are_idempotent(store: CypherStore) -> None:
    assert apply_migrations(store, ROOT / "migrations") == []
    assert store.applied_migrations()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=40))
def test_any_text_round_trips_as_a_parameter(store: CypherStore, text: str) -> None:
    """Names are user input: whatever printable characters, they are data, never Cypher."""
    member_id = f"m{abs(hash(text))}"
    store.register_members(
        [NewMemberRow(id=member_id, inviter_id=None, name=text, joined_at=1, attributes_json=None)],
        LADDER,
    )
    assert store.get_members([member_id])[0].name == text


@pytest.mark.parametrize("bad_id", ["", "a/b"])
def test_lookups_of_odd_ids_find_nothing(store: CypherStore, bad_id: str) -> None:
    assert store.get_members([bad_id]) == []


def test_a_nul_never_reaches_the_engine(store: CypherStore) -> None:
    refused = store.backend is Backend.FALKORDB  # Neo4j carries it as data: nothing to refuse
    with pytest.raises(InvalidInput, match="NUL") if refused else nullcontext():
        assert store.get_members(["a\x00b"]) == []
