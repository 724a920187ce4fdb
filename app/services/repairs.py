"""Repairs that do not wait for a person: what a crash can leave half-done is finished by
the service as it starts (after its store opens, which is also when an embedded engine left
running by a crashed owner is adopted or a dead one replayed, and before it serves), and by
`refgraph verify`. Every repair is idempotent and costs next to nothing when there is
nothing to repair."""

from __future__ import annotations

import logging

from pydantic import BaseModel

from app.domain.tiers import TierLadder
from app.services.paid_bonuses import repair_paid_bonuses
from app.store.port import GraphStore

log = logging.getLogger("refgraph.repairs")


class RepairReport(BaseModel):
    # Paid-trigger referral bonuses a crash between a paid mark and its bonus left unwritten.
    paid_bonuses_written: int = 0


def run_startup_repairs(*, store: GraphStore, ladder: TierLadder, now: int) -> RepairReport:
    """Runs every repair and logs what it wrote."""
    report = RepairReport(
        paid_bonuses_written=repair_paid_bonuses(store=store, ladder=ladder, now=now)
    )
    if report.paid_bonuses_written:
        log.warning(
            "wrote %d missing paid-trigger referral bonuses (paid marks without their bonus)",
            report.paid_bonuses_written,
        )
    return report
