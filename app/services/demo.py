"""The demo `serve --demo` loads: the seed plan and a few thousand orders and refunds over
the generated network, so every ledger route has something to show."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from app.domain.ledger import OrderCreate, RefundCreate
from app.domain.plans import DAY_MS, Plan
from app.domain.tiers import TierLadder
from app.services.orders import post_order, post_refund
from app.services.plans import load_plan
from app.store.port import GraphStore

REFUND_SHARE = 0.1


def load_demo_ledger(
    *,
    store: GraphStore,
    ladder: TierLadder,
    network: Path,
    plan_file: Path,
    orders: int,
    now: int,
    seed: int = 7,
) -> int:
    """Loads the plan and posts `orders` orders (a third shared by the buyer's inviter, a
    tenth half refunded), placed between the plan's start and `now`; returns the number of
    ledger entries written."""
    plan = Plan.model_validate_json(plan_file.read_text())
    load_plan(store=store, ladder=ladder, plan=plan, now=now)
    with network.open(newline="") as handle:
        members = [
            (r["id"], r["inviter_id"] or None, int(r["joined_at"])) for r in csv.DictReader(handle)
        ]
    joined = {member: at for member, _, at in members}
    rng = random.Random(seed)
    entries = 0
    for k in range(orders):
        buyer, inviter, buyer_joined = members[rng.randrange(len(members))]
        shared_by = inviter if inviter is not None and rng.random() < 1 / 3 else None
        earliest = max(plan.effective_from, buyer_joined, joined.get(shared_by or buyer, 0))
        if earliest >= now:
            continue
        order = OrderCreate(
            id=f"demo-{k}",
            buyer_id=buyer,
            amount=rng.randint(1_000, 60_000),
            currency=plan.currency,
            placed_at=rng.randint(earliest, now - 1),
            shared_by=shared_by,
        )
        posted, _ = post_order(store=store, ladder=ladder, request=order, now=now)
        entries += len(posted.entries)
        if rng.random() < REFUND_SHARE:
            refund = RefundCreate(
                id=f"demo-{k}-refund",
                amount=order.amount // 2,
                refunded_at=min(order.placed_at + rng.randint(1, 7 * DAY_MS), now),
            )
            refunded, _ = post_refund(
                store=store, ladder=ladder, order_id=order.id, request=refund, now=now
            )
            entries += len(refunded.entries)
    return entries
