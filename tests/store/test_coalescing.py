"""Group commit: concurrent single writes share statements and keep every store rule."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.core.errors import StoreUnavailable
from app.domain.members import NewMemberRow, PaidRow
from app.domain.tiers import TierLadder
from app.store.coalescing import CoalescingStore
from app.store.cypher_store import CypherStore
from tests.store.test_contract import LADDER, member


class Gate:
    """Counts the statements the wrapped store runs, and can hold the next one back."""

    def __init__(self, store: CypherStore) -> None:
        self.statements: list[list[str]] = []
        self.open = threading.Event()
        self.open.set()
        self.entered = threading.Event()
        self._register = store.register_members
        store.register_members = self.register  # type: ignore[method-assign]

    def register(self, rows: Sequence[NewMemberRow], ladder: TierLadder) -> list[str]:
        self.entered.set()
        self.open.wait()
        self.statements.append([row.id for row in rows])
        return self._register(rows, ladder)


@pytest.fixture
def grouped(store: CypherStore) -> Iterator[tuple[CoalescingStore, Gate]]:
    gate = Gate(store)
    coalescing = CoalescingStore(store)
    yield coalescing, gate
    coalescing.stop()


def test_concurrent_registrations_share_statements(
    grouped: tuple[CoalescingStore, Gate],
) -> None:
    coalescing, gate = grouped
    coalescing.register_members([member("root")], LADDER)
    gate.open.clear()
    gate.entered.clear()
    with ThreadPoolExecutor(16) as pool:
        first = pool.submit(coalescing.register_members, [member("held", "root")], LADDER)
        gate.entered.wait()  # the writer is busy: what comes now queues
        rest = [
            pool.submit(coalescing.register_members, [member(f"k{k}", "root")], LADDER)
            for k in range(40)
        ]
        gate.open.set()
        assert first.result() == ["held"]
        assert [f.result() for f in rest] == [[f"k{k}"] for k in range(40)]
    assert len(gate.statements) < 1 + 1 + 40
    [root] = coalescing.get_members(["root"])
    assert root.downline_total == root.direct_total == 41
    assert coalescing.downline_by_traversal("root") == (41, 0)


def test_a_batch_never_holds_an_id_twice_or_an_invitee_with_her_inviter(
    grouped: tuple[CoalescingStore, Gate],
) -> None:
    coalescing, gate = grouped
    gate.open.clear()
    gate.entered.clear()
    with ThreadPoolExecutor(4) as pool:
        blocker = pool.submit(coalescing.register_members, [member("blocker")], LADDER)
        gate.entered.wait()
        parent = pool.submit(coalescing.register_members, [member("parent")], LADDER)
        twin = pool.submit(coalescing.register_members, [member("parent")], LADDER)
        child = pool.submit(coalescing.register_members, [member("child", "parent")], LADDER)
        while coalescing._registrations._queue.qsize() < 3:  # all three queued behind
            threading.Event().wait(0.01)
        gate.open.set()
        assert blocker.result() == ["blocker"]
        assert sorted([*parent.result(), *twin.result()]) == ["parent"]
        assert child.result() == ["child"]
    assert ["parent", "child"] not in gate.statements
    assert coalescing.get_members(["parent"])[0].downline_total == 1


def test_paid_marks_are_grouped_and_counted_once(store: CypherStore) -> None:
    store.register_members([member("boss")], LADDER)
    store.register_members([member(f"i{k}", "boss") for k in range(8)], LADDER)
    coalescing = CoalescingStore(store)
    try:
        with ThreadPoolExecutor(16) as pool:
            marks = list(
                pool.map(
                    lambda k: coalescing.mark_paid(
                        [PaidRow(id=f"i{k % 8}", paid_at=10 + k)], LADDER
                    ),
                    range(32),
                )
            )
    finally:
        coalescing.stop()
    assert sorted(i for m in marks for i in m) == [f"i{k}" for k in range(8)]
    [boss] = store.get_members(["boss"])
    assert (boss.direct_paid, boss.downline_paid, boss.tier) == (8, 8, "phoenix")
    assert [c.tier for c in store.tier_history("boss")] == ["butterfly", "peacock", "phoenix"]


def test_a_failing_statement_fails_every_caller_in_it(store: CypherStore) -> None:
    def broken(rows: Sequence[NewMemberRow], ladder: TierLadder) -> list[str]:
        raise RuntimeError("engine gone")

    store.register_members = broken  # type: ignore[method-assign]
    coalescing = CoalescingStore(store)
    try:
        with pytest.raises(RuntimeError, match="engine gone"):
            coalescing.register_members([member("x")], LADDER)
    finally:
        coalescing.stop()


@pytest.mark.parametrize(
    ("error", "statements"),
    [(StoreUnavailable("Neo4j did not answer"), 1), (RuntimeError("bad batch"), 2)],
    ids=["unreachable", "other-error"],
)
def test_writes_queued_behind_an_unreachable_store_fail_with_it_unrun(
    store: CypherStore, error: Exception, statements: int
) -> None:
    """A write queued behind a statement that found the store unreachable fails at once
    rather than wait for the store's whole retry budget again; a statement that failed for
    another reason leaves the writes behind it to run."""
    ran: list[list[str]] = []
    entered, release = threading.Event(), threading.Event()

    def failing(rows: Sequence[NewMemberRow], ladder: TierLadder) -> list[str]:
        ran.append([row.id for row in rows])
        entered.set()
        release.wait()
        raise error

    store.register_members = failing  # type: ignore[method-assign]
    coalescing = CoalescingStore(store)
    try:
        with ThreadPoolExecutor(4) as pool:
            first = pool.submit(coalescing.register_members, [member("a")], LADDER)
            assert entered.wait(10)
            queued = [
                pool.submit(coalescing.register_members, [member(f"q{k}")], LADDER)
                for k in range(3)
            ]
            while coalescing._registrations._queue.qsize() < 3:
                time.sleep(0.01)
            release.set()
            for future in [first, *queued]:
                with pytest.raises(type(error)):
                    future.result(timeout=10)
    finally:
        coalescing.stop()
    assert len(ran) == statements
    assert ran[0] == ["a"]
