"""Random sequences of registrations and paid marks, valid and not, against an in-memory
model: every maintained counter equals a recount, the forest invariants hold, and every
tier history says what the paid times say, also when marks arrive late and tie."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from app.domain.members import TRACKED_LEVELS, NewMemberRow, PaidRow
from app.domain.tiers import tier_reached
from app.store.cypher_store import CypherStore
from tests.store.test_contract import LADDER

IDS = st.sampled_from([f"m{i}" for i in range(24)])


class ForestMachine(RuleBasedStateMachine):
    store: CypherStore

    def __init__(self) -> None:
        super().__init__()
        self.inviter: dict[str, str | None] = {}
        self.paid: dict[str, int] = {}  # member → paid_at
        self.clock = 1

    @initialize()
    def empty_graph(self) -> None:
        reset(self.store)

    @rule(member_id=IDS, inviter_id=st.one_of(st.none(), IDS))
    def register(self, member_id: str, inviter_id: str | None) -> None:
        self.clock += 1
        row = NewMemberRow(
            id=member_id,
            inviter_id=inviter_id,
            name=None,
            joined_at=self.clock,
            attributes_json=None,
        )
        created = self.store.register_members([row], LADDER)
        valid = member_id not in self.inviter and (inviter_id is None or inviter_id in self.inviter)
        assert created == ([member_id] if valid else [])
        if valid:
            self.inviter[member_id] = inviter_id

    @rule(
        ids=st.lists(IDS, min_size=1, max_size=4, unique=True),
        # Late marks (backdated by up to 40 ticks) and ties (a few distinct moments).
        back=st.lists(st.sampled_from([0, 0, 1, 5, 40]), min_size=4, max_size=4),
    )
    def mark_paid(self, ids: list[str], back: list[int]) -> None:
        self.clock += 1
        rows = [
            PaidRow(id=i, paid_at=max(1, self.clock - b)) for i, b in zip(ids, back, strict=False)
        ]
        marked = self.store.mark_paid(rows, LADDER)
        expected = {i for i in ids if i in self.inviter and i not in self.paid}
        assert sorted(marked) == sorted(expected)
        self.paid.update({row.id: row.paid_at for row in rows if row.id in expected})

    @precondition(lambda self: bool(self.inviter))
    @invariant()
    def counters_equal_a_recount(self) -> None:
        stored = {r.id: r for r in self.store.get_members(list(self.inviter))}
        assert set(stored) == set(self.inviter)
        for member_id, record in stored.items():
            levels_total, levels_paid = self.recount_levels(member_id)
            assert record.levels_total == levels_total, member_id
            assert record.levels_paid == levels_paid, member_id
            assert record.downline_total == len(self.descendants(member_id))
            assert record.downline_paid == sum(
                1 for d in self.descendants(member_id) if d in self.paid
            )
            assert record.tier == LADDER.tier_for(levels_paid[0])

    @precondition(lambda self: bool(self.paid))
    @invariant()
    def tier_histories_follow_the_paid_times(self) -> None:
        """At every moment that matters (each paid time, and just before it), the tier her
        recorded history gives is the ladder's tier for her invitees paid by then."""
        moments = sorted({t for at in self.paid.values() for t in (at - 1, at)})
        inviters = {self.inviter[m] for m in self.paid}
        for member_id in sorted(i for i in inviters if i is not None):
            paid_times = [at for m, at in self.paid.items() if self.inviter[m] == member_id]
            changes = [c.stamp() for c in self.store.tier_history(member_id)]
            assert [c.seq for c in changes] == list(range(1, len(changes) + 1))
            for moment in moments:
                known = [c for c in changes if c[0] <= moment]
                expected = LADDER.tier_for(sum(1 for at in paid_times if at <= moment))
                assert tier_reached(known, LADDER) == expected, (member_id, moment)
            [record] = self.store.get_members([member_id])
            crossings = [c[0] for c in changes if c[2] == record.tier]
            if crossings:
                assert record.tier_since == min(crossings)

    @precondition(lambda self: bool(self.inviter))
    @invariant()
    def forest_is_as_modelled(self) -> None:
        for row in self.store.iter_forest():
            expected = self.inviter[row.id]
            assert row.edge_targets == ([] if expected is None else [expected])
            assert row.inviter_id == expected

    def descendants(self, member_id: str) -> dict[str, int]:
        """Every member below `member_id`, with her distance."""
        found: dict[str, int] = {}
        frontier = [member_id]
        distance = 0
        while frontier:
            distance += 1
            frontier = [c for c, p in self.inviter.items() if p in frontier]
            found.update({c: distance for c in frontier})
        return found

    def recount_levels(self, member_id: str) -> tuple[list[int], list[int]]:
        totals, paid = [0] * TRACKED_LEVELS, [0] * TRACKED_LEVELS
        for descendant, distance in self.descendants(member_id).items():
            if distance <= TRACKED_LEVELS:
                totals[distance - 1] += 1
                paid[distance - 1] += descendant in self.paid
        return totals, paid


def reset(store: CypherStore) -> None:
    from app.store.falkordb_store import FalkorDBStore
    from app.store.migrations import apply_migrations
    from tests.engines import ROOT

    if isinstance(store, FalkorDBStore):
        store.drop_everything()
        store.ping()
    else:
        store.drop_everything()  # type: ignore[attr-defined]
    apply_migrations(store, ROOT / "migrations")


@pytest.mark.slow
def test_random_operations_keep_counters_and_forest(store: CypherStore) -> None:
    ForestMachine.store = store
    run_state_machine_as_test(
        ForestMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
