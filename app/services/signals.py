"""Abuse-signal runs: read the forest, the identity facts and the orders, find the signals
(app/domain/signals.py), store them as the run readers see; and the reads of a run, by
kind or by member."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from pydantic import BaseModel, Field

from app.core.errors import InvalidInput
from app.domain.signals import (
    SIGNAL_KINDS,
    EntryFact,
    RiskSignal,
    SignalKind,
    SignalRules,
    detect_signals,
    members_sharing_facts,
)
from app.services.cursors import decode_position, encode_position
from app.services.jobs import start_job
from app.services.members import member_record
from app.services.periodic import Periodic
from app.store.port import GraphStore

MAX_LIMIT = 500
# Orders whose entries are read per statement.
ENTRY_BATCH = 5_000


class SignalRunSummary(BaseModel):
    computed_at: int
    members: int
    signals: int
    counts: dict[str, int] = Field(description="Signals by kind")
    seconds: float


class SignalPage(BaseModel):
    computed_at: int | None = Field(description="When the run answering computed; null: none yet")
    items: list[RiskSignal]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last")


class MemberRisk(BaseModel):
    member_id: str
    score: float = Field(description="Her strongest signal's score; 0 when none names her")
    on_hold: bool
    hold_reason: str | None
    computed_at: int | None = Field(description="When the run answering computed; null: none yet")
    signals: list[RiskSignal]


def run_signals(
    *,
    store: GraphStore,
    rules: SignalRules,
    now: int,
    progress: Callable[[float], None] | None = None,
) -> SignalRunSummary:
    """Finds every signal as of the graph now and makes the run the one readers see."""
    report = progress or (lambda _share: None)
    started = time.monotonic()
    arrays = store.connector_arrays()
    report(0.3)
    facts = store.identity_facts()
    orders = store.signal_orders()
    report(0.5)
    # Entries are read only where a signal can use them: orders refunded (bonus farming)
    # and orders of buyers who share a strong fact with someone (self-dealing).
    sharing = members_sharing_facts(facts)
    wanted = [o.id for o in orders if o.refunded > 0 or o.buyer_id in sharing]
    entries: list[EntryFact] = []
    for start in range(0, len(wanted), ENTRY_BATCH):
        entries.extend(
            EntryFact(order_id=e.order_id or "", beneficiary_id=e.beneficiary_id, kind=e.kind)
            for e in store.entries_of_orders(wanted[start : start + ENTRY_BATCH])
            if e.reverses is None
        )
    report(0.7)
    signals = detect_signals(arrays, facts, orders, entries, rules)
    report(0.9)
    store.put_signal_run(uuid.uuid4().hex, now, signals)
    counts: dict[str, int] = {
        kind: sum(1 for s in signals if s.kind == kind) for kind in SIGNAL_KINDS
    }
    return SignalRunSummary(
        computed_at=now,
        members=arrays.members,
        signals=len(signals),
        counts=counts,
        seconds=round(time.monotonic() - started, 3),
    )


def start_signals_job(store: GraphStore, rules: SignalRules, now: int) -> str:
    """Starts a run in the background (or answers the one queued or running); its job id."""
    job = start_job(
        store=store,
        kind="signals",
        work=lambda progress: run_signals(store=store, rules=rules, now=now, progress=progress),
    )
    return job.job_id


def signal_schedule(store: GraphStore, rules: SignalRules, every_s: float) -> Periodic:
    """Starts a run every `every_s` seconds (0: never), one at a time."""

    def start() -> None:
        start_signals_job(store, rules, int(time.time() * 1000))

    return Periodic("signal-schedule", every_s, start)


def signals_page(
    *, store: GraphStore, kind: SignalKind | None, since: int, limit: int, cursor: str | None
) -> SignalPage:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    after = None if cursor is None else decode_position(cursor)
    run = store.signal_run()
    if run is None:
        return SignalPage(computed_at=None, items=[], next_cursor=None)
    items = store.signals_page(kind, since, after, limit + 1)
    more = len(items) > limit
    items = items[:limit]
    last = items[-1] if more else None
    return SignalPage(
        computed_at=run.computed_at,
        items=items,
        next_cursor=None if last is None else encode_position(round(last.score * 10_000), last.id),
    )


def member_risk(*, store: GraphStore, member_id: str) -> MemberRisk:
    record = member_record(store, member_id)
    run = store.signal_run()
    signals = [] if run is None else store.signals_of_member(member_id)
    return MemberRisk(
        member_id=member_id,
        score=max((s.score for s in signals), default=0.0),
        on_hold=record.hold_reason is not None,
        hold_reason=record.hold_reason,
        computed_at=None if run is None else run.computed_at,
        signals=signals,
    )
