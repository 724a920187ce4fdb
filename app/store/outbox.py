"""The outbox as the causing statements write it: each statement that changes what a webhook
reports takes `outbox_params(...)` and writes its events itself, so an acknowledged change
always has its events (cypher/record_order.cypher and the others)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any

from app.domain.ledger import LedgerEntry
from app.domain.members import NewMemberRow
from app.domain.webhooks import RANK, EventType, outbox_event

Record = dict[str, Any]


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


def outbox_params(*written_inside: EventType, events: Iterable[Record] = ()) -> Record:
    """`$written_at` (the clock now: the dispatcher orders and waits by it), the rank of each
    event type the statement writes itself (`$tier_changed_rank`, …), and `$events`, the events
    whose data the caller knows."""
    params: Record = {"written_at": int(time.time() * 1000), "events": list(events)}
    for event_type in written_inside:
        params[f"{event_type.split('.')[1]}_rank"] = RANK[event_type]
    return params


def entry_created_events(entries: Iterable[LedgerEntry], *, released: bool = True) -> list[Record]:
    """ledger.entry_created for each entry and, with `released`, ledger.entry_released for
    one written available (its hold over when it was posted). A statement that decides the
    status itself (a reversal takes its original's) writes the released events itself:
    cypher/record_refund.cypher."""
    entries = list(entries)
    return [
        outbox_event(
            new_event_id(),
            "ledger.entry_created",
            entry.beneficiary_id,
            entry.event_at,
            {
                "entry_id": entry.id,
                "member_id": entry.beneficiary_id,
                "kind": entry.kind,
                "amount": entry.amount,
                "currency": entry.currency,
                "order_id": entry.order_id,
                "refund_id": entry.refund_id,
                "reverses": entry.reverses,
                "buyer_id": entry.buyer_id,
                "source_id": entry.source_id,
                "plan_version": entry.plan_version,
                "rule": entry.rule,
                "event_at": entry.event_at,
                "available_from": entry.available_from,
            },
        )
        for entry in entries
    ] + [
        outbox_event(
            new_event_id(),
            "ledger.entry_released",
            entry.beneficiary_id,
            entry.released_at,
            {
                "entry_id": entry.id,
                "member_id": entry.beneficiary_id,
                "order_id": entry.order_id,
                "amount": entry.amount,
                "currency": entry.currency,
                "at": entry.released_at,
            },
        )
        for entry in entries
        if released and entry.status == "available" and entry.released_at is not None
    ]


def member_event(event_type: EventType, member_id: str, at: int, data: Record) -> Record:
    """The event of one member's row (registered, paid), as the row's `event`."""
    return outbox_event(new_event_id(), event_type, member_id, at, {"member_id": member_id, **data})


def registered_event(row: NewMemberRow) -> Record:
    data = {"inviter_id": row.inviter_id, "joined_at": row.joined_at}
    return member_event("member.registered", row.id, row.joined_at, data)
