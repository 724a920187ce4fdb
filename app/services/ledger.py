"""The auditor's reads: the ledger page by page, and the trace of one entry back through the
order, the plan version and rule, and the invitation edges it followed."""

from __future__ import annotations

from itertools import pairwise
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.core.errors import InvalidInput, NotFound
from app.domain.ledger import LedgerEntry, LedgerFilter, Order, Refund, TimeBasis
from app.domain.units import iso_moment
from app.services.cursors import decode_position, encode_position
from app.store.port import GraphStore

MAX_PAGE = 1000


class LedgerPage(BaseModel):
    items: list[LedgerEntry]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )


def encode_cursor(entry: LedgerEntry, by: TimeBasis) -> str:
    return encode_position(entry.event_at if by == "event_at" else entry.created_at, entry.id)


def decode_cursor(cursor: str | None) -> tuple[int, str]:
    return (-1, "") if cursor is None else decode_position(cursor)


def list_ledger(
    *, store: GraphStore, where: LedgerFilter, cursor: str | None, limit: int
) -> LedgerPage:
    if where.to <= where.from_:
        raise InvalidInput(
            f"to ({iso_moment(where.to)}) must be after from ({iso_moment(where.from_)})",
            field="to",
        )
    # One more than asked says whether another page exists without a count.
    entries = store.ledger_page(where, decode_cursor(cursor), limit + 1)
    page = entries[:limit]
    more = len(entries) > limit
    return LedgerPage(items=page, next_cursor=encode_cursor(page[-1], where.by) if more else None)


class TraceNode(BaseModel):
    member_id: str
    hop: int
    roles: list[Literal["source", "buyer", "sharer", "invitee", "beneficiary"]]


class TraceEdge(BaseModel):
    """The invitation edge from hop-1 (the invitee) to hop (her inviter)."""

    invitee_id: str
    inviter_id: str
    hop: int
    relationship: Literal["INVITED_BY"] = "INVITED_BY"
    in_graph: bool = Field(
        description="The edge exists in the graph now (always, for a sound ledger)"
    )


class TracePlan(BaseModel):
    version: str
    effective_from: int
    currency: str
    rule_index: int
    rule: dict[str, Any]


class Trace(BaseModel):
    """Why an entry exists, as data a UI can draw: nodes along the path, the edges between
    them, the order (and refund) and the plan rule that granted it."""

    entry: LedgerEntry
    order: Order | None = Field(description="None for a bonus paid when an invitee became paid")
    refund: Refund | None
    plan: TracePlan | None
    tier_at_event: str
    nodes: list[TraceNode]
    edges: list[TraceEdge]
    sound: bool = Field(description="Every edge of the path is in the graph and the rule exists")


def trace_entry(*, store: GraphStore, entry_id: str) -> Trace:
    entry = store.ledger_entry(entry_id)
    if entry is None:
        raise NotFound(f"ledger entry {entry_id} does not exist", entry_id=entry_id)
    # A bonus paid for a paid mark has no order.
    orders = store.orders_by_id([entry.order_id]) if entry.order_id is not None else []
    if entry.order_id is not None and not orders:
        raise NotFound(f"order {entry.order_id} of entry {entry_id} is missing")
    order = Order(**orders[0].model_dump()) if orders else None
    refunds = store.refunds_by_id([entry.refund_id]) if entry.refund_id else []
    plan = next((p for p in store.plans() if p.version == entry.plan_version), None)
    traced_plan = None
    if plan is not None and entry.rule < len(plan.rules):
        traced_plan = TracePlan(
            version=plan.version,
            effective_from=plan.effective_from,
            currency=plan.currency,
            rule_index=entry.rule,
            rule=plan.rules[entry.rule].model_dump(),
        )
    steps = [(step.member_id, step.hop) for step in entry.path]
    pairs = [(a[0], b[0]) for a, b in pairwise(steps)]
    present = store.invitation_edges(pairs)
    edges = [
        TraceEdge(
            invitee_id=invitee,
            inviter_id=inviter,
            hop=hop + 1,
            in_graph=(invitee, inviter) in present,
        )
        for hop, (invitee, inviter) in enumerate(pairs)
    ]
    nodes = [
        TraceNode(member_id=member, hop=hop, roles=_roles(member, hop, entry, order))
        for member, hop in steps
    ]
    return Trace(
        entry=entry,
        order=order,
        refund=refunds[0] if refunds else None,
        plan=traced_plan,
        tier_at_event=entry.tier_at_event,
        nodes=nodes,
        edges=edges,
        sound=traced_plan is not None and all(edge.in_graph for edge in edges),
    )


def _roles(
    member: str, hop: int, entry: LedgerEntry, order: Order | None
) -> list[Literal["source", "buyer", "sharer", "invitee", "beneficiary"]]:
    roles: list[Literal["source", "buyer", "sharer", "invitee", "beneficiary"]] = []
    if order is None and hop == 0:
        roles.append("invitee")
    if order is not None and member == order.source_id:
        roles.append("source")
    if order is not None and member == order.buyer_id:
        roles.append("buyer")
    if order is not None and member == order.shared_by:
        roles.append("sharer")
    if hop == entry.path[-1].hop:
        roles.append("beneficiary")
    return roles
