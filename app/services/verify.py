"""`verify`: recount every maintained counter from the INVITED_BY edges and check the forest
itself. One streamed pass over the store; the recount runs on packed arrays."""

from __future__ import annotations

from pydantic import BaseModel

from app.domain.forest import counter_mismatches, forest_problems, load_forest, recount
from app.domain.tiers import TierLadder
from app.store.port import GraphStore


class VerifyReport(BaseModel):
    members_checked: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_store(*, store: GraphStore, ladder: TierLadder) -> VerifyReport:
    """Compares each member's depth, downline totals, per-level counts and tier (the ladder's
    tier for her recounted paid direct invites) with a recount, and lists forest problems:
    several or self edges, edges that disagree with inviter_id, unknown inviters, cycles."""
    forest = load_forest(store.iter_forest())
    counts = recount(forest)
    problems = [*forest_problems(forest), *counter_mismatches(forest, counts, ladder)]
    return VerifyReport(members_checked=forest.size, problems=problems)
