"""`verify`: recount every maintained counter from the INVITED_BY edges and check the forest
itself, every invitee's join time against her inviter's, and every group's members_total.
One streamed pass over the members (the recount runs on packed arrays); the join times and
the group totals are checked by aggregating queries that return only what is wrong."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel

from app.domain.forest import counter_mismatches, forest_problems, load_forest, recount
from app.domain.members import joined_before_inviter
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
    several or self edges, edges that disagree with inviter_id, unknown inviters, cycles;
    members who joined before their inviter; groups whose members_total is not their count
    of members."""
    forest = load_forest(store.iter_forest())
    counts = recount(forest)
    problems = [
        *forest_problems(forest),
        *counter_mismatches(forest, counts, ladder),
        *join_order_problems(store),
        *group_total_problems(store),
    ]
    return VerifyReport(members_checked=forest.size, problems=problems)


def join_order_problems(store: GraphStore) -> Iterator[str]:
    for pair in store.members_joined_before_inviter():
        reason = joined_before_inviter(pair.joined_at, pair.inviter_id, pair.inviter_joined_at)
        yield f"member {pair.id}: {reason}"


def group_total_problems(store: GraphStore) -> Iterator[str]:
    for group in store.group_total_mismatches():
        yield f"group {group.id}: members_total stored {group.stored}, recounted {group.counted}"
