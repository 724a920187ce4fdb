"""Order and refund use cases: each writes the order (or refund) with the ledger entries it
grants in one statement, and a retry of either returns what the first call wrote."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from pydantic import BaseModel

from app.core.errors import Conflict, InvalidInput, NotFound
from app.domain.ledger import (
    LedgerEntry,
    Order,
    OrderContext,
    OrderCreate,
    Refund,
    RefundCreate,
    bonus_rule_of,
    entries_for_order,
    moved_bonus,
    plan_in_force,
    plan_of_version,
    reversals_for_refund,
    reversed_amounts,
)
from app.domain.lifecycle import status_at
from app.domain.plans import Plan
from app.domain.points import earn_entry, take_back_entry
from app.domain.tiers import TierLadder, known_changes, tier_reached
from app.domain.units import iso_moment
from app.services.periodic import Periodic
from app.services.referral_codes import with_sharer_from_code
from app.store.port import GraphStore, OrderContextRow, StoredOrder

log = logging.getLogger("refgraph.ledger")
# Each try re-reads what a concurrent order or refund of the same buyer changed.
WRITE_TRIES = 20


class OrderPosted(BaseModel):
    order: Order
    entries: list[LedgerEntry]


class RefundPosted(BaseModel):
    refund: Refund
    entries: list[LedgerEntry]


def order_context(
    row: OrderContextRow,
    order: OrderCreate,
    ladder: TierLadder,
    *,
    first_purchase: bool,
    known: dict[str, int] | None = None,
) -> OrderContext:
    """The graph's answer for an order, with each member's honour tier resolved at placed_at
    from her tier history (the base tier before her first change). `known`: the version of
    each history the order was priced with (an audit replays those, not a later paid mark's
    correction); None: the histories as they stand."""
    versions = dict(row.tier_seqs) if known is None else known
    tiers = {
        member: tier_reached(known_changes(changes, versions.get(member)), ladder)
        for member, changes in row.histories
    }
    return OrderContext(
        chain=[order.source_id] + [member for _, member in sorted(row.ancestors)],
        buyer_inviter_id=row.buyer_inviter_id,
        tiers=tiers,
        tier_seqs={member: versions[member] for member, _ in row.histories if member in versions},
        first_purchase=first_purchase,
        inactive=frozenset(
            member
            for member, times, statuses in row.statuses
            if status_at(times, statuses, order.placed_at) != "active"
        ),
    )


def post_order(
    *, store: GraphStore, ladder: TierLadder, request: OrderCreate, now: int
) -> tuple[OrderPosted, bool]:
    """Returns the order with its entries, and whether this call wrote them."""
    request = with_sharer_from_code(store, request)
    for _ in range(WRITE_TRIES):
        plan = plan_in_force(store.plans(), request.placed_at)
        _refuse_other_currency(request, plan)
        row = store.order_contexts([request]).get(request.id)
        if row is None:
            _refuse_unknown_members(store, request)
        assert row is not None
        _refuse_before_joining(request, row)
        written = _price_and_record(store, ladder, request, plan, row, now)
        if written is not None:
            return written, True
        stored = store.orders_by_id([request.id])
        if stored:
            return _retried_order(store, request, stored[0]), False
    raise Conflict(f"order {request.id} kept racing with other writes of its buyer; retry it")


def post_orders(
    *, store: GraphStore, ladder: TierLadder, requests: Sequence[OrderCreate], now: int
) -> list[OrderPosted]:
    """Posts orders of distinct buyers (a bulk load), priced from one read of the plans and
    of their contexts; an order that read cannot price (a member unknown, a currency or a time
    the plan refuses) or whose write a concurrent one refused goes through `post_order`,
    which explains or retries it. Returns each order with its entries, in order."""
    if len({request.buyer_id for request in requests}) != len(requests):
        raise InvalidInput("a bulk post takes each buyer once", field="buyer_id")
    requests = [with_sharer_from_code(store, request) for request in requests]
    plans = store.plans()
    contexts = store.order_contexts(requests)
    posted = []
    for request in requests:
        plan = plan_in_force(plans, request.placed_at)
        row = contexts.get(request.id)
        written = None
        if row is not None and _priceable(request, plan, row):
            written = _price_and_record(store, ladder, request, plan, row, now)
        if written is None:
            written, _ = post_order(store=store, ladder=ladder, request=request, now=now)
        posted.append(written)
    return posted


def _price_and_record(
    store: GraphStore,
    ladder: TierLadder,
    request: OrderCreate,
    plan: Plan | None,
    row: OrderContextRow,
    now: int,
) -> OrderPosted | None:
    """Prices the order from what the graph said (`row`) and writes it with its entries;
    None when the write was refused (her state or the plan moved since, or the order
    exists)."""
    context = order_context(row, request, ladder, first_purchase=row.first_purchase_order is None)
    entries = entries_for_order(request, plan, context, ladder, now) if plan else []
    version = plan.version if plan else None
    # The points it earns ride in the order's own statement, as its entries do.
    earned = earn_entry(request, plan, now) if plan else None
    if not store.record_order(
        request,
        version,
        entries,
        expected_seq=row.seq,
        tier_seqs=context.tier_seqs,
        now=now,
        points=[earned] if earned else [],
    ):
        return None
    order = Order(**request.model_dump(), plan_version=version, seq=row.seq + 1, created_at=now)
    return OrderPosted(order=order, entries=entries)


def _priceable(request: OrderCreate, plan: Plan | None, row: OrderContextRow) -> bool:
    try:
        _refuse_other_currency(request, plan)
        _refuse_before_joining(request, row)
    except InvalidInput:
        return False
    return True


def _refuse_other_currency(request: OrderCreate, plan: Plan | None) -> None:
    if plan is not None and plan.currency != request.currency:
        raise InvalidInput(
            f"order {request.id} is in {request.currency}; plan {plan.version}, in force at "
            f"{iso_moment(request.placed_at)}, pays in {plan.currency}",
            field="currency",
        )


def _refuse_unknown_members(store: GraphStore, request: OrderCreate) -> None:
    named = {"buyer_id": request.buyer_id, "shared_by": request.shared_by}
    known = {record.id for record in store.get_members([m for m in named.values() if m])}
    for field, member in named.items():
        if member is not None and member not in known:
            raise InvalidInput(f"{field} {member} is not a member", field=field)
    raise Conflict(f"order {request.id}: its members changed while it was read; retry it")


def _refuse_before_joining(request: OrderCreate, row: OrderContextRow) -> None:
    if request.placed_at < row.buyer_joined_at:
        raise InvalidInput(
            f"placed_at {iso_moment(request.placed_at)} is before buyer {request.buyer_id} "
            f"joined ({iso_moment(row.buyer_joined_at)})",
            field="placed_at",
        )
    if request.shared_by is not None and request.placed_at < row.source_joined_at:
        raise InvalidInput(
            f"placed_at {iso_moment(request.placed_at)} is before sharer {request.shared_by} "
            f"joined ({iso_moment(row.source_joined_at)})",
            field="placed_at",
        )


def _retried_order(store: GraphStore, request: OrderCreate, stored: Order) -> OrderPosted:
    differences = [
        field
        for field in OrderCreate.model_fields
        if getattr(stored, field) != getattr(request, field)
    ]
    if differences:
        raise Conflict(
            f"order {request.id} was posted with a different " + ", ".join(differences),
            order_id=request.id,
            conflicting_fields=differences,
        )
    entries = [e for e in store.entries_of_orders([stored.id]) if e.refund_id is None]
    order = Order(**stored.model_dump())
    return OrderPosted(order=order, entries=sorted(entries, key=lambda e: (e.rule, e.id)))


def post_refund(
    *, store: GraphStore, ladder: TierLadder, order_id: str, request: RefundCreate, now: int
) -> tuple[RefundPosted, bool]:
    """Returns the refund with its reversals, and whether this call wrote them."""
    for _ in range(WRITE_TRIES):
        orders = store.orders_by_id([order_id])
        if not orders:
            raise NotFound(f"order {order_id} does not exist", order_id=order_id)
        order = orders[0]
        existing = store.refunds_by_id([request.id])
        if existing:
            return _retried_refund(store, order_id, request, existing[0]), False
        if request.refunded_at < order.placed_at:
            raise InvalidInput(
                f"refunded_at {iso_moment(request.refunded_at)} is before the order was "
                f"placed ({iso_moment(order.placed_at)})",
                field="refunded_at",
            )
        left = order.amount - order.refunded
        if request.amount > left:
            raise InvalidInput(
                f"refund of {request.amount} is more than the {left} left of order {order_id} "
                f"({order.amount}, {order.refunded} refunded)",
                field="amount",
                refundable=left,
            )
        entries = store.entries_of_orders([order_id])
        plans = store.plans()
        reversals = reversals_for_refund(
            order_amount=order.amount,
            refunded_before=order.refunded,
            refund=request,
            originals=sorted((e for e in entries if e.reverses is None), key=lambda e: e.id),
            reversed_so_far=reversed_amounts(entries),
            now=now,
            bonus_on_partial_refund=bonus_rule_of(plans, order.plan_version),
        )
        moved, expected_seq, next_first = _moving_bonus(store, ladder, order, request, now)
        # The share of the points the order earned that this refund takes back (a plan
        # version never changes, so what it earned is derived again, not read).
        priced = plan_of_version(plans, order.plan_version)
        taken = take_back_entry(order, order.refunded, request, priced, now) if priced else None
        if store.record_refund(
            order,
            request,
            reversals + moved,
            expected_refunded=order.refunded,
            expected_seq=expected_seq,
            next_first=next_first,
            now=now,
            points=[taken] if taken else [],
        ):
            refund = Refund(**request.model_dump(), order_id=order_id, seq=0, created_at=now)
            stored = store.refunds_by_id([request.id])
            # The answer is the reversals; a bonus that moved belongs to its own order.
            return RefundPosted(refund=stored[0] if stored else refund, entries=reversals), True
    raise Conflict(f"refund {request.id} kept racing with other refunds; retry it")


def _moving_bonus(
    store: GraphStore, ladder: TierLadder, order: StoredOrder, refund: RefundCreate, now: int
) -> tuple[list[LedgerEntry], int | None, str | None]:
    """When `refund` empties the buyer's first purchase, her earliest live order becomes it
    and carries the referral bonus: (that bonus, the buyer's sequence it was derived at, the
    order). Nothing to move otherwise."""
    if order.refunded + refund.amount < order.amount:
        return [], None, None
    seq, first, next_live = store.buyer_purchase_state(order.buyer_id, order.id)
    if first != order.id or next_live is None:
        return [], seq, None
    plan = plan_in_force(store.plans(), next_live.placed_at)
    row = store.order_contexts([next_live]).get(next_live.id)
    if plan is None or row is None:
        return [], seq, next_live.id
    context = order_context(row, next_live, ladder, first_purchase=True)
    return moved_bonus(next_live, plan, context, ladder, now), seq, next_live.id


def _retried_refund(
    store: GraphStore, order_id: str, request: RefundCreate, stored: Refund
) -> RefundPosted:
    differences = [
        field
        for field in RefundCreate.model_fields
        if getattr(stored, field) != getattr(request, field)
    ]
    if stored.order_id != order_id:
        differences.insert(0, "order")
    if differences:
        raise Conflict(
            f"refund {request.id} was posted with a different " + ", ".join(differences),
            refund_id=request.id,
            conflicting_fields=differences,
        )
    reversals = [e for e in store.entries_of_orders([order_id]) if e.refund_id == stored.id]
    return RefundPosted(refund=stored, entries=sorted(reversals, key=lambda e: e.id))


def get_order(*, store: GraphStore, order_id: str) -> OrderPosted:
    orders = store.orders_by_id([order_id])
    if not orders:
        raise NotFound(f"order {order_id} does not exist", order_id=order_id)
    entries = store.entries_of_orders([order_id])
    return OrderPosted(
        order=Order(**orders[0].model_dump()),
        entries=sorted(entries, key=lambda e: (e.created_at, e.id)),
    )


def release_due_entries(*, store: GraphStore, now: int) -> int:
    """Releases every held entry whose hold has passed (pending → available); returns how
    many."""
    released = total = store.release_due_entries(now)
    while released:
        released = store.release_due_entries(now)
        total += released
    return total


def hold_releaser(store: GraphStore, interval_s: float) -> Periodic:
    """Releases due entries every `interval_s` seconds, so held money becomes available
    without anyone asking (0: never)."""
    return Periodic(
        "hold-releaser",
        interval_s,
        lambda: release_due_entries(store=store, now=int(time.time() * 1000)),
    )
