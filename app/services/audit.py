"""`refgraph audit`: re-derives every ledger entry from the orders, refunds, the graph and
the plan versions with the rules the service wrote them with, and lists each difference."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import groupby
from typing import Literal

from pydantic import BaseModel

from app.domain.ledger import LedgerEntry, Order, Refund, plan_in_force, replay_buyer
from app.domain.payouts import payout_differences
from app.domain.plans import Plan
from app.domain.tiers import TierLadder
from app.domain.units import iso_moment
from app.services.orders import order_context
from app.services.paid_bonuses import expected_paid_bonuses
from app.store.port import GraphStore, StoredOrder

BATCH_ORDERS = 500


class AuditDifference(BaseModel):
    problem: Literal["missing", "unexpected", "differs", "status", "order", "orphans", "payout"]
    entry_id: str | None
    order_id: str | None
    detail: str


class AuditReport(BaseModel):
    orders: int
    refunds: int
    entries: int
    differences: list[AuditDifference]

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
    return AuditReport(
        orders=len(orders), refunds=len(refunds), entries=total, differences=differences
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
            found.append(
                AuditDifference(
                    problem="differs",
                    entry_id=entry_id,
                    order_id=b.order_id,
                    detail="; ".join(
                        f"{name}: stored {getattr(b, name)!r}, re-derived {getattr(a, name)!r}"
                        for name in fields
                    ),
                )
            )
        found += _release_differences(b, have)
    return found


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
