"""`refgraph audit`: re-derives every ledger entry from the orders, refunds, the graph and
the plan versions with the rules the service wrote them with, and lists each difference; the
same for the points ledger (earns and take-backs from the orders and refunds, grants and
redemptions from the plan in force at their time), and every redemption that spent more than
the balance it was checked against."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import groupby
from typing import Literal

from pydantic import BaseModel

from app.domain.ledger import (
    LedgerEntry,
    Order,
    Refund,
    plan_in_force,
    plan_of_version,
    replay_buyer,
)
from app.domain.payouts import payout_differences
from app.domain.plans import Plan
from app.domain.points import (
    PointsEntry,
    earn_entry,
    grant_entry,
    overdrawn,
    redemption_id,
    redemption_value,
    take_back_entry,
)
from app.domain.tiers import TierLadder
from app.domain.units import iso_moment
from app.services.orders import order_context
from app.services.paid_bonuses import expected_paid_bonuses
from app.store.port import GraphStore, StoredOrder

BATCH_ORDERS = 500
# A points entry's fields a difference names (PointsEntry.derivation).
POINTS_FIELDS = (
    "member_id", "kind", "points", "event_at", "expires_at", "plan_version", "order_id",
    "refund_id", "action", "value", "currency",
)  # fmt: skip


class AuditDifference(BaseModel):
    problem: Literal[
        "missing", "unexpected", "differs", "status", "order", "orphans", "payout", "overdrawn"
    ]
    entry_id: str | None
    order_id: str | None
    detail: str


class AuditReport(BaseModel):
    orders: int
    refunds: int
    entries: int
    differences: list[AuditDifference]
    points_entries: int = 0

    @property
    def ok(self) -> bool:
        return not self.differences


def audit_ledger(
    *, store: GraphStore, ladder: TierLadder, progress: Callable[[int], None] | None = None
) -> AuditReport:
    """`progress` is called with the number of orders checked so far, batch by batch. The
    bonuses paid for paid marks (no order) are re-derived from the members' paid times."""
    plans = store.plans()
    orders = store.all_orders()
    refunds = store.all_refunds()
    refunds_of: dict[str, list[Refund]] = {}
    for refund in refunds:
        refunds_of.setdefault(refund.order_id, []).append(refund)
    differences: list[AuditDifference] = []
    checked = entries_seen = 0
    for batch in _buyer_batches(orders):
        contexts = store.order_contexts(batch)
        stored = store.entries_of_orders([order.id for order in batch])
        entries_seen += len(stored)
        expected: list[LedgerEntry] = []
        for _, her_orders in groupby(batch, key=lambda order: order.buyer_id):
            mine = list(her_orders)
            missing = [o.id for o in mine if o.id not in contexts]
            if missing:
                differences += [
                    AuditDifference(
                        problem="order",
                        entry_id=None,
                        order_id=order_id,
                        detail="its buyer or sharer is no longer in the graph",
                    )
                    for order_id in missing
                ]
                continue
            differences += _plan_differences(mine, plans)
            events: list[Order | Refund] = [*mine]
            events += [refund for order in mine for refund in refunds_of.get(order.id, [])]
            # Each order is replayed with the tier histories as they stood when it was
            # priced: a later paid mark that corrects a history re-prices nothing.
            context = {
                o.id: order_context(
                    contexts[o.id], o, ladder, first_purchase=False, known=o.tier_versions()
                )
                for o in mine
            }
            expected += replay_buyer(events, {o.id: o for o in mine}, plans, context, ladder)
        differences += compare_entries(expected, stored)
        differences += money_left_on_refunded_orders(batch, stored)
        checked += len(batch)
        if progress is not None:
            progress(checked)
    paid_bonuses = store.paid_bonus_entries()
    entries_seen += len(paid_bonuses)
    priced_with = {entry.id: entry.tier_seq for entry in paid_bonuses}
    expected_bonuses = expected_paid_bonuses(
        store=store, ladder=ladder, plans=plans, now=0, known=priced_with
    )
    differences += compare_entries(expected_bonuses, paid_bonuses)
    total = store.ledger_entry_count()
    if total != entries_seen:
        differences.append(
            AuditDifference(
                problem="orphans",
                entry_id=None,
                order_id=None,
                detail=f"{total - entries_seen} entries belong to no stored order",
            )
        )
    differences += audit_payouts(store)
    points = store.all_points_entries()
    differences += audit_points(points, plans, orders, refunds_of)
    return AuditReport(
        orders=len(orders),
        refunds=len(refunds),
        entries=total,
        differences=differences,
        points_entries=len(points),
    )


def audit_points(
    stored: list[PointsEntry],
    plans: list[Plan],
    orders: list[StoredOrder],
    refunds_of: dict[str, list[Refund]],
) -> list[AuditDifference]:
    """The points entries the orders, refunds, grants and redemptions should have written,
    against the stored ones, and each redemption beyond the balance it was checked at."""
    expected = _points_of_orders(plans, orders, refunds_of)
    expected += [
        derived
        for entry in stored
        if entry.kind in ("grant", "redemption")
        for derived in [_points_of_request(entry, plans)]
        if derived is not None
    ]
    want = {entry.id: entry for entry in expected}
    have = {entry.id: entry for entry in stored}
    found = [
        _points_difference("missing", want[i], "is not written") for i in want.keys() - have.keys()
    ]
    found += [
        _points_difference("unexpected", have[i], "has no cause") for i in have.keys() - want.keys()
    ]
    found.sort(key=lambda difference: (difference.problem, difference.entry_id or ""))
    for entry_id in sorted(want.keys() & have.keys()):
        a, b = want[entry_id], have[entry_id]
        if a.derivation() != b.derivation():
            fields = [name for name in POINTS_FIELDS if getattr(a, name) != getattr(b, name)]
            found.append(_differs(entry_id, b.order_id, b, a, fields))
    for _, hers in groupby(sorted(stored, key=lambda e: e.member_id), key=lambda e: e.member_id):
        for redemption, balance in overdrawn(list(hers)):
            found.append(
                AuditDifference(
                    problem="overdrawn",
                    entry_id=redemption.id,
                    order_id=None,
                    detail=f"redeemed {-redemption.points} points of {redemption.member_id}, "
                    f"whose balance was {balance} at {iso_moment(redemption.event_at)}",
                )
            )
    return found


def _points_difference(
    problem: Literal["missing", "unexpected"], entry: PointsEntry, what: str
) -> AuditDifference:
    return AuditDifference(
        problem=problem,
        entry_id=entry.id,
        order_id=entry.order_id,
        detail=f"{entry.kind} of {entry.points} points to {entry.member_id} {what}",
    )


def _points_of_orders(
    plans: list[Plan], orders: list[StoredOrder], refunds_of: dict[str, list[Refund]]
) -> list[PointsEntry]:
    """The earn of every order priced under a plan with points, and the take-back of each of
    its refunds, in the order they were written."""
    expected: list[PointsEntry] = []
    for order in orders:
        plan = plan_of_version(plans, order.plan_version)
        if plan is None:
            continue
        earned = earn_entry(order, plan, now=0)
        expected += [earned] if earned else []
        refunded = 0
        for refund in sorted(refunds_of.get(order.id, []), key=lambda r: r.seq):
            taken = take_back_entry(order, refunded, refund, plan, now=0)
            expected += [taken] if taken else []
            refunded += refund.amount
    return expected


def _points_of_request(entry: PointsEntry, plans: list[Plan]) -> PointsEntry | None:
    """What the plan in force at a stored grant's or redemption's time makes of its request
    (None: that plan grants or redeems nothing so, and the stored one is unexpected)."""
    plan = plan_in_force(plans, entry.event_at)
    if plan is None or plan.points is None or entry.request_id is None:
        return None
    if entry.kind == "grant":
        return grant_entry(
            member_id=entry.member_id,
            action=entry.action or "",
            request_id=entry.request_id,
            at=entry.event_at,
            plan_version=plan.version,
            rules=plan.points,
            now=0,
        )
    value = redemption_value(plan.points, -entry.points) if entry.points < 0 else None
    if value is None:
        return None
    return entry.model_copy(
        update={
            "id": redemption_id(entry.member_id, entry.request_id),
            "plan_version": plan.version,
            "value": value,
            "currency": plan.currency,
            "order_id": None,
            "refund_id": None,
            "action": None,
            "expires_at": None,
        }
    )


def audit_payouts(store: GraphStore) -> list[AuditDifference]:
    """Every payout item is the sum of the entries it names and claims, no entry is paid
    twice, and every paid item has its one payout line (so the balances, which are the
    ledger's sums by where each entry stands, agree with the batches)."""
    found = payout_differences(
        store.payout_items_for_audit(), store.claimed_entries(), store.payout_lines()
    )
    return [
        AuditDifference(problem="payout", entry_id=subject, order_id=None, detail=detail)
        for subject, detail in found
    ]


def _buyer_batches(orders: list[StoredOrder]) -> Iterator[list[StoredOrder]]:
    """Batches of about BATCH_ORDERS orders that never split one buyer's orders (her replay
    needs all of them)."""
    batch: list[StoredOrder] = []
    for _, her_orders in groupby(orders, key=lambda order: order.buyer_id):
        batch.extend(her_orders)
        if len(batch) >= BATCH_ORDERS:
            yield batch
            batch = []
    if batch:
        yield batch


def _plan_differences(orders: list[StoredOrder], plans: list[Plan]) -> list[AuditDifference]:
    found = []
    for order in orders:
        plan = plan_in_force(plans, order.placed_at)
        in_force = plan.version if plan else None
        if order.plan_version != in_force:
            found.append(
                AuditDifference(
                    problem="order",
                    entry_id=None,
                    order_id=order.id,
                    detail=f"priced under plan {order.plan_version}, but {in_force} is in "
                    f"force at its placed_at {iso_moment(order.placed_at)}",
                )
            )
    return found


def compare_entries(
    expected: list[LedgerEntry], stored: list[LedgerEntry]
) -> list[AuditDifference]:
    """Every entry that should exist and does not, exists and should not, or differs in
    anything but when it was written; and every entry released before its hold ended."""
    want = {entry.id: entry for entry in expected}
    have = {entry.id: entry for entry in stored}
    found: list[AuditDifference] = []
    for entry_id in sorted(want.keys() - have.keys()):
        entry = want[entry_id]
        found.append(
            AuditDifference(
                problem="missing",
                entry_id=entry_id,
                order_id=entry.order_id,
                detail=f"{entry.kind} of {entry.amount} to {entry.beneficiary_id} is not written",
            )
        )
    for entry_id in sorted(have.keys() - want.keys()):
        entry = have[entry_id]
        found.append(
            AuditDifference(
                problem="unexpected",
                entry_id=entry_id,
                order_id=entry.order_id,
                detail=f"{entry.kind} of {entry.amount} to {entry.beneficiary_id} has no cause",
            )
        )
    for entry_id in sorted(want.keys() & have.keys()):
        a, b = want[entry_id], have[entry_id]
        if a.derivation() != b.derivation():
            fields = [
                name
                for name in (
                    "kind",
                    "beneficiary_id",
                    "amount",
                    "currency",
                    "refund_id",
                    "reverses",
                    "plan_version",
                    "rule",
                    "tier_at_event",
                    "path",
                )
                if getattr(a, name) != getattr(b, name)
            ]
            found.append(_differs(entry_id, b.order_id, b, a, fields))
        found += _release_differences(b, have)
    return found


def _differs(
    entry_id: str, order_id: str | None, stored: object, derived: object, fields: list[str]
) -> AuditDifference:
    """An entry whose `fields` the re-derivation does not reproduce, each with both values."""
    return AuditDifference(
        problem="differs",
        entry_id=entry_id,
        order_id=order_id,
        detail="; ".join(
            f"{name}: stored {getattr(stored, name)!r}, re-derived {getattr(derived, name)!r}"
            for name in fields
        ),
    )


def _release_differences(entry: LedgerEntry, have: dict[str, LedgerEntry]) -> list[AuditDifference]:
    """An available entry says since when (`released_at`), never before its hold ended; a
    reversal shares its original's status (a held reversal beside a released original keeps
    refunded money payable)."""
    problems = []
    if entry.status == "available":
        if entry.released_at is None:
            problems.append("available without released_at")
        elif entry.released_at < entry.available_from:
            problems.append(
                f"released at {iso_moment(entry.released_at)}, before its hold ended at "
                f"{iso_moment(entry.available_from)}"
            )
    original = have.get(entry.reverses) if entry.reverses is not None else None
    if original is not None and original.status != entry.status:
        problems.append(f"{entry.status}, but the entry it reverses is {original.status}")
    return [
        AuditDifference(problem="status", entry_id=entry.id, order_id=entry.order_id, detail=text)
        for text in problems
    ]


def money_left_on_refunded_orders(
    orders: list[StoredOrder], entries: list[LedgerEntry]
) -> list[AuditDifference]:
    """An order refunded in full leaves nothing payable and nothing held: its entries net
    to 0 in each status."""
    refunded = {order.id for order in orders if order.refunded == order.amount}
    left: dict[tuple[str, str], int] = {}
    for entry in entries:
        if entry.order_id in refunded:
            key = (entry.order_id, entry.status)
            left[key] = left.get(key, 0) + entry.amount
    return [
        AuditDifference(
            problem="status",
            entry_id=None,
            order_id=order_id,
            detail=f"refunded in full, but {amount} is still {status}",
        )
        for (order_id, status), amount in sorted(left.items())
        if amount != 0
    ]
