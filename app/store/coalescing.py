"""Group commit for the API's writes. Every registration under a tree updates its root, so
concurrent writers under one root serialise on it whatever the engine: FalkorDB runs one
write at a time, and Neo4j queues them on the root's lock (and, with many writers, aborts
some as deadlocks on the root's relationships). So concurrent single writes are joined:
while one statement runs, the writes that arrive queue, and the next statement carries
them all - one transaction, one pass over the shared ancestors, one fsync.

A batch keeps the store's rules: each id at most once, and no registration whose inviter
is registered in the same batch (those wait for the next one).

The writers a statement answers come back with their next writes a moment after it ends, so
the next batch lingers for them: up to half the last statement's time (at most 2 ms), and
only while fewer writes wait than the recent batches held; a lone writer never waits.
Without it, 16 writers under one root split into a large batch and a small one in turn (7-9
writes a statement instead of 16): on Neo4j at 200k members the linger took them from ~900
to ~1,400 registrations/s; on FalkorDB, whose cost is mostly per row, it changed nothing
measurable (scripts/bench_core.py, hot_root).

When a statement fails because the store cannot be reached, the writes that queued behind
it fail with it, unrun: each would wait for the store's whole retry budget again (on Neo4j
~7 s), so a write queued behind a failing one was answered only after two budgets (~14 s
under three writers), and one more for every batch ahead of it. Their callers answer 503
with Retry-After, as the failed statement's do, and nothing of them was written."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from app.core.errors import StoreUnavailable
from app.core.metrics import GROUP_COMMIT_ROWS
from app.domain.members import NewMemberRow, PaidRow
from app.domain.tiers import TierLadder
from app.store.port import GraphStore

MAX_BATCH = 256
# The longest a batch waits for writers expected back (see the module's docstring).
MAX_LINGER_S = 0.002


Row = TypeVar("Row", NewMemberRow, PaidRow)


@dataclass
class _Write(Generic[Row]):
    rows: list[Row]
    ladder: TierLadder
    done: Future[list[str]] = field(default_factory=Future)


class _Writer(Generic[Row]):
    """One thread that runs `run(rows, ladder)` for batches of queued writes."""

    def __init__(
        self,
        name: str,
        run: Callable[[list[Row], TierLadder], list[str]],
        admit: Callable[[list[Row], Row], bool],
    ) -> None:
        self._run: Callable[[list[Row], TierLadder], list[str]] = run
        self._admit: Callable[[list[Row], Row], bool] = admit
        self._queue: queue.Queue[_Write[Row] | None] = queue.Queue()
        self._held: list[_Write[Row]] = []
        # How many writes the recent batches held (decays by one a batch), and how long the
        # last statement took: what a batch lingers for, and at most how long.
        self._expected = 1
        self._last_seconds = 0.0
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, rows: Sequence[Row], ladder: TierLadder) -> list[str]:
        write = _Write(list(rows), ladder)
        self._queue.put(write)
        return write.done.result()

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _loop(self) -> None:
        stopping = False
        while self._held or not stopping:
            pending, self._held = self._held, []
            if not pending:
                first = self._queue.get()
                if first is None:
                    return
                pending = [first]
            for write in self._drain():
                if write is None:
                    stopping = True
                else:
                    pending.append(write)
            if not stopping:
                stopping = self._linger(pending)
            batch, self._held = self._split(pending)
            self._expected = max(len(batch), self._expected - 1)
            started = time.perf_counter()
            unreachable = self._execute(batch)
            self._last_seconds = time.perf_counter() - started
            if unreachable is not None:
                stopping = self._refuse_waiting(unreachable) or stopping

    def _linger(self, pending: list[_Write[Row]]) -> bool:
        """Waits for the writes expected back, adding them to `pending`; True on the stop
        signal."""
        deadline = time.perf_counter() + min(MAX_LINGER_S, self._last_seconds / 2)
        while len(pending) < min(self._expected, MAX_BATCH):
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return False
            try:
                write = self._queue.get(timeout=remaining)
            except queue.Empty:
                return False
            if write is None:
                return True
            pending.append(write)
        return False

    def _drain(self) -> Iterator[_Write[Row] | None]:
        for _ in range(MAX_BATCH):
            try:
                yield self._queue.get_nowait()
            except queue.Empty:
                return

    def _split(self, pending: list[_Write[Row]]) -> tuple[list[_Write[Row]], list[_Write[Row]]]:
        """The writes that fit one statement, and the ones that wait for the next."""
        batch: list[_Write[Row]] = []
        rows: list[Row] = []
        later: list[_Write[Row]] = []
        for write in pending:
            fits = write.ladder == pending[0].ladder and all(
                self._admit(rows, row) for row in write.rows
            )
            if fits and len(rows) + len(write.rows) <= MAX_BATCH:
                batch.append(write)
                rows.extend(write.rows)
            else:
                later.append(write)
        return batch, later

    def _execute(self, batch: list[_Write[Row]]) -> StoreUnavailable | None:
        """Runs one statement for the batch; the error when the store could not be reached."""
        rows = [row for write in batch for row in write.rows]
        GROUP_COMMIT_ROWS.labels(self._thread.name).observe(len(rows))
        try:
            written = set(self._run(rows, batch[0].ladder))
        except BaseException as error:  # every waiting caller gets the failure
            for write in batch:
                write.done.set_exception(error)
            return error if isinstance(error, StoreUnavailable) else None
        for write in batch:
            write.done.set_result([row.id for row in write.rows if row.id in written])
        return None

    def _refuse_waiting(self, error: StoreUnavailable) -> bool:
        """Fails every write that queued while the store was unreachable (see the module's
        docstring); True on the stop signal."""
        waiting, self._held = self._held, []
        stopping = False
        # Only what is queued now: a write arriving after this starts the next statement,
        # which may find the store back.
        for _ in range(self._queue.qsize()):
            try:
                write = self._queue.get_nowait()
            except queue.Empty:
                break
            if write is None:
                stopping = True
            else:
                waiting.append(write)
        for write in waiting:
            write.done.set_exception(error)
        return stopping


def _admit_registration(batch: list[NewMemberRow], row: NewMemberRow) -> bool:
    return all(row.id != other.id and row.inviter_id != other.id for other in batch) and all(
        other.inviter_id != row.id for other in batch
    )


def _admit_paid_mark(batch: list[PaidRow], row: PaidRow) -> bool:
    return all(row.id != other.id for other in batch)


class CoalescingStore:
    """The API's store: registrations and paid marks are group-committed; everything else
    is the wrapped store's own (delegated, so a backend's overrides run behind the API too).
    It answers the port (app/store/port.py) as the store it wraps does."""

    def __init__(self, inner: GraphStore) -> None:
        self.inner = inner
        self.backend = inner.backend
        self._registrations = _Writer[NewMemberRow](
            "refgraph-registrations", inner.register_members, _admit_registration
        )
        self._paid_marks = _Writer[PaidRow](
            "refgraph-paid-marks",
            lambda rows, ladder: inner.mark_paid(sorted(rows, key=lambda r: r.paid_at), ladder),
            _admit_paid_mark,
        )

    def register_members(self, rows: Sequence[NewMemberRow], ladder: TierLadder) -> list[str]:
        return self._registrations.submit(rows, ladder) if rows else []

    def mark_paid(self, rows: Sequence[PaidRow], ladder: TierLadder) -> list[str]:
        return self._paid_marks.submit(rows, ladder) if rows else []

    def __getattr__(self, name: str) -> Any:
        # Only what this class does not define itself reaches here.
        return getattr(self.inner, name)

    def stop(self) -> None:
        """Finishes the queued writes and stops the writer threads; the wrapped store stays
        open."""
        self._registrations.stop()
        self._paid_marks.stop()

    def close(self) -> None:
        self.stop()
        self.inner.close()
