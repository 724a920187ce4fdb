"""Counters of chains deeper than the tracked levels, written by batches whose inviters sit
at different depths: each engine's registration splits the tracked levels (the histogram)
from the ancestors above them, so a batch's rows meet the same ancestor on both sides of
that line. Every counter is checked against a plain-Python recount."""

from __future__ import annotations

import random

from app.domain.members import TRACKED_LEVELS, NewMemberRow, PaidRow
from app.store.cypher_store import CypherStore
from tests.store.test_contract import LADDER

CHAIN = TRACKED_LEVELS + 5


def member(member_id: str, inviter_id: str | None) -> NewMemberRow:
    return NewMemberRow(
        id=member_id, inviter_id=inviter_id, name=None, joined_at=1, attributes_json=None
    )


def recount(
    inviter: dict[str, str | None], counted: set[str] | None = None
) -> dict[str, tuple[int, list[int]]]:
    """Each member's downline total and per-level counts of the `counted` members (default:
    all), walking up from each of them."""
    counts = {m: (0, [0] * TRACKED_LEVELS) for m in inviter}
    for start in inviter if counted is None else counted:
        above, distance = inviter[start], 1
        while above is not None:
            total, levels = counts[above]
            if distance <= TRACKED_LEVELS:
                levels[distance - 1] += 1
            counts[above] = (total + 1, levels)
            above, distance = inviter[above], distance + 1
    return counts


def test_batches_across_the_tracked_levels_keep_every_counter(store: CypherStore) -> None:
    inviter: dict[str, str | None] = {}
    spine = [f"s{i}" for i in range(CHAIN)]
    for parent, child in zip([None, *spine], spine, strict=False):
        assert store.register_members([member(child, parent)], LADDER) == [child]
        inviter[child] = parent
    pick = random.Random(5)
    for batch in range(6):
        # Distinct inviters already stored, so that every row is admitted: the spine's
        # bottom and top, its middle around the tracked levels' edge, and earlier branches.
        stored = list(inviter)
        chosen = pick.sample(stored, k=min(8, len(stored)))
        chosen += [spine[-1], spine[0], spine[TRACKED_LEVELS - 1], spine[TRACKED_LEVELS]]
        rows = [member(f"b{batch}-{k}", parent) for k, parent in enumerate(dict.fromkeys(chosen))]
        assert store.register_members(rows, LADDER) == [row.id for row in rows]
        inviter.update({row.id: row.inviter_id for row in rows})
    expected = recount(inviter)
    for record in store.get_members(list(inviter)):
        assert (record.downline_total, record.levels_total) == expected[record.id], record.id

    # Paid marks write the paid counters the same way, in batches across the same line.
    paid: set[str] = set()
    members = sorted(inviter)
    for batch in range(4):
        chosen = pick.sample([m for m in members if m not in paid], k=12)
        chosen += [m for m in (spine[-1 - batch], spine[TRACKED_LEVELS + batch]) if m not in paid]
        marks = [PaidRow(id=m, paid_at=10 + batch) for m in dict.fromkeys(chosen)]
        assert sorted(store.mark_paid(marks, LADDER)) == sorted(mark.id for mark in marks)
        paid.update(mark.id for mark in marks)
    expected = recount(inviter, paid)
    for record in store.get_members(list(inviter)):
        assert (record.downline_paid, record.levels_paid) == expected[record.id], record.id
