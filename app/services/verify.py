"""`verify`: recount every maintained counter from the INVITED_BY edges and check the forest
itself, every invitee's join time against her inviter's, and every group's members_total.
One streamed pass over the members (the recount runs on packed arrays); the join times and
the group totals are checked by aggregating queries that return only what is wrong."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel

from app.domain.forest import (
    Counters,
    counter_mismatches,
    forest_problems,
    load_forest,
    member_mismatches,
    recount,
)
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


def verify_sample(*, store: GraphStore, ladder: TierLadder, size: int) -> VerifyReport:
    """`verify_store` for a graph too large to load whole (20M members need ~11 GB of Python):
    `size` members drawn at random, each one's depth, downline totals, per-level counts and
    tier compared with a walk of the graph around her; and, in full, the join times and the
    group totals (aggregating queries that return only what is wrong). The forest's shape
    (cycles, several edges) is not checked: that needs every member at once."""
    if size < 1:
        raise ValueError("a sample holds at least one member")
    ids = store.sample_member_ids(size)
    records = {record.id: record for record in store.get_members(ids)}
    problems: list[str] = []
    for member_id in ids:
        recounted = store.member_recount(member_id)
        record = records.get(member_id)
        if recounted is None or record is None:
            continue  # gone since it was drawn
        stored = Counters(
            record.depth,
            record.downline_total,
            record.downline_paid,
            record.levels_total,
            record.levels_paid,
        )
        problems.extend(member_mismatches(member_id, stored, record.tier, recounted, ladder))
    problems.extend(join_order_problems(store))
    problems.extend(group_total_problems(store))
    return VerifyReport(members_checked=len(ids), problems=problems)


def join_order_problems(store: GraphStore) -> Iterator[str]:
    for pair in store.members_joined_before_inviter():
        reason = joined_before_inviter(pair.joined_at, pair.inviter_id, pair.inviter_joined_at)
        yield f"member {pair.id}: {reason}"


def group_total_problems(store: GraphStore) -> Iterator[str]:
    for group in store.group_total_mismatches():
        yield f"group {group.id}: members_total stored {group.stored}, recounted {group.counted}"
