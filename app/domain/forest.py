"""The invitation forest as pure data: planning an import into waves the store can register,
and recounting every maintained counter from the edges (what `verify` compares with the
stored ones). No I/O; every walk is iterative so a chain of any length is safe, and the
per-member data of a whole forest is kept in flat arrays so a million members fit."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping, MutableSequence, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple, Protocol

from pydantic import BaseModel

from app.domain.members import TRACKED_LEVELS, joined_before_inviter
from app.domain.tiers import TierLadder

# States of a node while depths are resolved; a resolved depth is >= 0.
UNRESOLVED = -1
BLOCKED = -2  # rejected, in a cycle, or below one of those
_ON_PATH = -3
# A stored counter that is absent (or a levels list of the wrong length).
MISSING = -1
# Per-level counts are packed as int32 (half the memory of the other counters, which the
# engines store as int64): a member count never comes near 2**31, and a stored value that
# does is kept aside as it was (`Forest.odd_levels`).
LEVELS_TYPECODE = "i"
_LEVEL_RANGE = (-(2**31), 2**31 - 1)
_MISSING_LEVELS = [MISSING] * TRACKED_LEVELS
# A cycle of thousands of ids would make every one of its reports enormous.
CYCLE_IDS_SHOWN = 12


class ProblemKind(StrEnum):
    MALFORMED = "malformed"
    SELF_INVITE = "self_invite"
    CYCLE = "cycle"
    DUPLICATE = "duplicate"
    INVITER_REJECTED = "inviter_rejected"
    INVITER_MISSING = "inviter_missing"
    JOINED_BEFORE_INVITER = "joined_before_inviter"
    CONFLICT = "conflict"
    NOT_CREATED = "not_created"


class ImportProblem(BaseModel):
    """One rejected line of an import file."""

    line: int
    id: str | None
    kind: ProblemKind
    reason: str


@dataclass(frozen=True, slots=True)
class ImportRow:
    """A well-formed import line. `joined_at` None: the importer uses the import time."""

    line: int
    id: str
    inviter_id: str | None
    joined_at: int | None
    paid_at: int | None
    name: str | None


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """Rows to register, wave by wave: no row shares a wave with her inviter's row."""

    waves: list[list[ImportRow]]
    problems: list[ImportProblem]

    @property
    def accepted(self) -> int:
        return sum(len(wave) for wave in self.waves)


def plan_import(
    rows: Sequence[ImportRow], *, malformed: Mapping[str, int] | None = None
) -> ImportPlan:
    """Groups `rows` into waves by their depth inside the file and rejects self-invites,
    inviter cycles, repeated ids (the first row defines the id), rows that join before their
    inviter's row (both times given; an empty one is the import time, which the store
    checks) and rows whose inviter's row is rejected. `malformed` maps ids of lines the
    parser already rejected to their line, so their invitees are reported against that line
    (and a later row repeating the id is a duplicate). A row whose inviter is not in the
    file goes in wave 0."""
    malformed = malformed or {}
    defining: dict[str, int] = {}
    depth = [UNRESOLVED] * len(rows)
    problems: list[ImportProblem] = []
    for index, row in enumerate(rows):
        first = _first_line(row, defining, rows, malformed)
        if first is not None:
            depth[index] = BLOCKED
            problems.append(
                _problem(
                    row, ProblemKind.DUPLICATE, f"duplicate id {row.id!r}, first at line {first}"
                )
            )
            continue
        defining[row.id] = index
        if row.inviter_id == row.id:
            depth[index] = BLOCKED
            problems.append(
                _problem(row, ProblemKind.SELF_INVITE, f"member {row.id!r} invites herself")
            )

    parent = array("q", [-1]) * len(rows)
    for index, row in enumerate(rows):
        if row.inviter_id is None or depth[index] == BLOCKED:
            continue
        inviter = defining.get(row.inviter_id)
        if inviter is not None:
            parent[index] = inviter
            early = _joined_before(row, rows[inviter])
            if early is not None:
                depth[index] = BLOCKED
                problems.append(_problem(row, ProblemKind.JOINED_BEFORE_INVITER, early))
        elif row.inviter_id in malformed:
            depth[index] = BLOCKED
            problems.append(_inviter_rejected(row, malformed[row.inviter_id]))

    originally_blocked = bytearray(d == BLOCKED for d in depth)
    cycles = resolve_depths(parent, depth)
    on_cycle = bytearray(len(rows))
    for cycle in cycles:
        ids = [rows[node].id for node in cycle]
        for position, node in enumerate(cycle):
            on_cycle[node] = 1
            problems.append(
                _problem(
                    rows[node],
                    ProblemKind.CYCLE,
                    "in an inviter cycle: " + _cycle_text(ids, position),
                )
            )
    for index, row in enumerate(rows):
        if depth[index] == BLOCKED and not originally_blocked[index] and not on_cycle[index]:
            problems.append(_inviter_rejected(row, rows[parent[index]].line))

    problems.sort(key=lambda problem: problem.line)
    return ImportPlan(waves=_waves(rows, depth), problems=problems)


def _first_line(
    row: ImportRow,
    defining: Mapping[str, int],
    rows: Sequence[ImportRow],
    malformed: Mapping[str, int],
) -> int | None:
    """The line of an earlier row with the same id, if any (valid or malformed)."""
    first = defining.get(row.id)
    if first is not None:
        return rows[first].line
    bad_line = malformed.get(row.id)
    return bad_line if bad_line is not None and bad_line < row.line else None


def _joined_before(row: ImportRow, inviter: ImportRow) -> str | None:
    if row.joined_at is None or inviter.joined_at is None:
        return None
    return joined_before_inviter(row.joined_at, inviter.id, inviter.joined_at)


def _problem(row: ImportRow, kind: ProblemKind, reason: str) -> ImportProblem:
    return ImportProblem(line=row.line, id=row.id, kind=kind, reason=reason)


def _inviter_rejected(row: ImportRow, inviter_line: int) -> ImportProblem:
    return _problem(
        row,
        ProblemKind.INVITER_REJECTED,
        f"inviter {row.inviter_id!r} rejected at line {inviter_line}",
    )


def _cycle_text(ids: Sequence[str], start: int) -> str:
    """The cycle from `start`, each id invited by the next: "a → b → c → a". Only the ids
    shown are gathered, so naming every member of a long cycle stays linear."""
    size = len(ids)
    shown = [ids[(start + step) % size] for step in range(min(size, CYCLE_IDS_SHOWN))]
    if size <= CYCLE_IDS_SHOWN:
        return " → ".join([*shown, shown[0]])
    return " → ".join(shown) + f" → … ({size} members in the cycle)"


def _waves(rows: Sequence[ImportRow], depth: Sequence[int]) -> list[list[ImportRow]]:
    waves: list[list[ImportRow]] = [[] for _ in range(max(depth, default=-1) + 1)]
    for row, wave in zip(rows, depth, strict=True):
        if wave >= 0:
            waves[wave].append(row)
    return waves


def resolve_depths(parent: Sequence[int], depth: MutableSequence[int]) -> list[list[int]]:
    """Fills every UNRESOLVED entry of `depth` with the node's distance from the top of its
    chain (`parent` -1: a top), or BLOCKED when the chain meets a BLOCKED node or loops.
    Returns the loops found, each listed from a node to her parent and onwards. O(N): every
    node is walked once, and a walk stops at the first node already settled."""
    cycles: list[list[int]] = []
    path: list[int] = []
    for start in range(len(parent)):
        if depth[start] != UNRESOLVED:
            continue
        node = start
        while depth[node] == UNRESOLVED:
            depth[node] = _ON_PATH
            path.append(node)
            node = parent[node]
            if node < 0:
                break
        if node < 0:
            base = -1
        elif depth[node] == _ON_PATH:
            loop_start = path.index(node)
            cycles.append(path[loop_start:])
            for member in path[loop_start:]:
                depth[member] = BLOCKED
            del path[loop_start:]
            base = BLOCKED
        else:
            base = depth[node]
        if base == BLOCKED:
            for member in path:
                depth[member] = BLOCKED
        else:
            for offset, member in enumerate(reversed(path), start=base + 1):
                depth[member] = offset
        path.clear()
    return cycles


class ForestRow(Protocol):
    """A member with her stored counters and her real edges (the store's `ForestRow` has
    this shape; the domain names only the shape so it never imports the store)."""

    @property
    def id(self) -> str: ...
    @property
    def inviter_id(self) -> str | None: ...
    @property
    def paid_at(self) -> int | None: ...
    @property
    def depth(self) -> int | None: ...
    @property
    def tier(self) -> str | None: ...
    @property
    def downline_total(self) -> int | None: ...
    @property
    def downline_paid(self) -> int | None: ...
    @property
    def levels_total(self) -> list[int] | None: ...
    @property
    def levels_paid(self) -> list[int] | None: ...
    @property
    def edge_targets(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class Counters:
    """The maintained counters of one member (recounted, or stored: None when absent)."""

    depth: int | None
    downline_total: int | None
    downline_paid: int | None
    levels_total: list[int] | None
    levels_paid: list[int] | None


class Forest:
    """Every member as the store holds her, packed: ids, her parent by INVITED_BY edge,
    paid flag, stored counters and tier, and the structural problems found while loading.
    Build it with `load_forest`."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self.paid = bytearray()
        self.tiers: list[str | None] = []
        self.stored_depth = array("q")
        self.stored_total = array("q")
        self.stored_paid = array("q")
        self.stored_levels_total = array(LEVELS_TYPECODE)
        self.stored_levels_paid = array(LEVELS_TYPECODE)
        # Stored levels lists that are absent or of the wrong length, kept as they were for
        # the report (they are MISSING in the arrays).
        self.odd_levels: dict[int, tuple[list[int] | None, list[int] | None]] = {}
        self.parent = array("q")
        self.depth: list[int] = []
        self.cycles: list[list[int]] = []
        self.problems: list[str] = []
        # Normal case: one edge, to her inviter_id (or none and no inviter_id); only the
        # inviter id is kept. Anything else keeps the edge targets for the checks.
        self._inviter_ids: list[str | None] = []
        self._odd_edges: dict[int, list[str]] = {}
        self._tier_names: dict[str, str] = {}

    @property
    def size(self) -> int:
        return len(self.ids)

    def add(self, row: ForestRow) -> None:
        if row.id in self.index:
            self.problems.append(f"member {row.id}: the id is held by more than one node")
            return
        position = len(self.ids)
        self.index[row.id] = position
        self.ids.append(row.id)
        self.paid.append(row.paid_at is not None)
        # Tier names repeat a million times: keep one string per name.
        self.tiers.append(
            None if row.tier is None else self._tier_names.setdefault(row.tier, row.tier)
        )
        self.stored_depth.append(_stored(row.depth))
        self.stored_total.append(_stored(row.downline_total))
        self.stored_paid.append(_stored(row.downline_paid))
        self._add_levels(position, row.levels_total, row.levels_paid)
        self._inviter_ids.append(row.inviter_id)
        expected_edges = [] if row.inviter_id is None else [row.inviter_id]
        if row.edge_targets != expected_edges or row.inviter_id == row.id:
            self._odd_edges[position] = list(row.edge_targets)

    def _add_levels(self, position: int, total: list[int] | None, paid: list[int] | None) -> None:
        packable_total, packable_paid = _packable(total), _packable(paid)
        if not (packable_total and packable_paid):
            self.odd_levels[position] = (total, paid)
        self.stored_levels_total.extend(total if total and packable_total else _MISSING_LEVELS)
        self.stored_levels_paid.extend(paid if paid and packable_paid else _MISSING_LEVELS)

    def finish(self) -> None:
        """Resolves parents (by edge), depths and cycles, and lists the edge problems."""
        self.parent = array("q", [-1]) * self.size
        for position, inviter_id in enumerate(self._inviter_ids):
            edges = self._odd_edges.get(position)
            if edges is None:
                self._set_parent_by_inviter(position, inviter_id)
            else:
                self._check_odd_edges(position, inviter_id, edges)
        self.depth = [UNRESOLVED] * self.size
        self.cycles = resolve_depths(self.parent, self.depth)
        for cycle in self.cycles:
            ids = [self.ids[node] for node in cycle]
            # Started at the smallest id: the same cycle reads the same on every backend,
            # whatever order the members streamed in.
            self.problems.append(
                "members in an INVITED_BY cycle: " + _cycle_text(ids, ids.index(min(ids)))
            )
        self._inviter_ids = []
        self._odd_edges = {}

    def _set_parent_by_inviter(self, position: int, inviter_id: str | None) -> None:
        if inviter_id is None:
            return
        inviter = self.index.get(inviter_id)
        if inviter is None:
            self.problems.append(
                f"member {self.ids[position]}: inviter_id {inviter_id} is not a member"
            )
        else:
            self.parent[position] = inviter

    def _check_odd_edges(self, position: int, inviter_id: str | None, edges: list[str]) -> None:
        member_id = self.ids[position]
        if inviter_id is not None and inviter_id not in self.index:
            self.problems.append(f"member {member_id}: inviter_id {inviter_id} is not a member")
        if len(edges) > 1:
            self.problems.append(
                f"member {member_id}: {len(edges)} INVITED_BY edges (to {', '.join(sorted(edges))})"
            )
        if member_id in edges:
            self.problems.append(f"member {member_id}: INVITED_BY edge to herself")
        if not edges:
            self.problems.append(
                f"member {member_id}: inviter_id {inviter_id} but no INVITED_BY edge"
            )
        elif inviter_id not in edges:
            self.problems.append(
                f"member {member_id}: inviter_id {inviter_id} but INVITED_BY edge to "
                + ", ".join(sorted(edges))
            )
        # Counters follow edges (that is what registration walks): prefer the edge that agrees
        # with inviter_id; a self-edge carries no downline.
        targets = [target for target in edges if target != member_id and target in self.index]
        chosen = inviter_id if inviter_id in targets else (targets[0] if targets else None)
        if chosen is not None:
            self.parent[position] = self.index[chosen]

    def stored(self, position: int) -> Counters:
        if position in self.odd_levels:
            total, paid = self.odd_levels[position]
        else:
            total = _levels_at(self.stored_levels_total, position)
            paid = _levels_at(self.stored_levels_paid, position)
        return Counters(
            depth=_shown(self.stored_depth[position]),
            downline_total=_shown(self.stored_total[position]),
            downline_paid=_shown(self.stored_paid[position]),
            levels_total=total,
            levels_paid=paid,
        )


def _stored(value: int | None) -> int:
    return MISSING if value is None else value


def _shown(value: int) -> int | None:
    return None if value == MISSING else value


def _packable(levels: list[int] | None) -> bool:
    return (
        levels is not None
        and len(levels) == TRACKED_LEVELS
        and min(levels) >= _LEVEL_RANGE[0]
        and max(levels) <= _LEVEL_RANGE[1]
    )


def _levels_at(levels: array[int], position: int) -> list[int]:
    start = position * TRACKED_LEVELS
    return levels[start : start + TRACKED_LEVELS].tolist()


def load_forest(rows: Iterable[ForestRow]) -> Forest:
    """Streams the rows into a packed Forest (one pass; no row is kept)."""
    forest = Forest()
    for row in rows:
        forest.add(row)
    forest.finish()
    return forest


class ForestRecount:
    """The counters every member should hold, recounted from the edges. Members on or below
    an INVITED_BY cycle have none (their depth is undefined); `forest_problems` names the
    cycle."""

    def __init__(self, forest: Forest) -> None:
        size = forest.size
        self.forest = forest
        self.depth = array("q", forest.depth)
        self.downline_total = array("q", [0]) * size
        self.downline_paid = array("q", [0]) * size
        self.levels_total = array(LEVELS_TYPECODE, [0]) * (size * TRACKED_LEVELS)
        self.levels_paid = array(LEVELS_TYPECODE, [0]) * (size * TRACKED_LEVELS)

    def get(self, member_id: str) -> Counters | None:
        position = self.forest.index.get(member_id)
        return None if position is None else self.at(position)

    def at(self, position: int) -> Counters | None:
        if self.depth[position] < 0:
            return None
        return Counters(
            depth=self.depth[position],
            downline_total=self.downline_total[position],
            downline_paid=self.downline_paid[position],
            levels_total=_levels_at(self.levels_total, position),
            levels_paid=_levels_at(self.levels_paid, position),
        )

    def __iter__(self) -> Iterator[tuple[str, Counters]]:
        for position, member_id in enumerate(self.forest.ids):
            counters = self.at(position)
            if counters is not None:
                yield member_id, counters


def recount(forest: Forest | Iterable[ForestRow]) -> ForestRecount:
    """Downline totals, paid totals and per-level counts (distance 1 = direct invitees) for
    every member, in O(N x TRACKED_LEVELS) at worst: members are folded into their parent
    deepest first, so each subtree is complete when it is added to the level above."""
    if not isinstance(forest, Forest):
        forest = load_forest(forest)
    counts = ForestRecount(forest)
    fold_downlines(
        forest.parent,
        forest.paid,
        forest.depth,
        total=counts.downline_total,
        paid_total=counts.downline_paid,
        levels_total=counts.levels_total,
        levels_paid=counts.levels_paid,
    )
    return counts


def deepest_first(depth: Sequence[int]) -> array[int]:
    """The nodes of depth > 0, deepest first: a counting sort, so 20M members cost one array
    of 8 bytes each rather than a sorted list of Python ints."""
    tallies = [0] * (max(depth, default=0) + 2)
    for value in depth:
        if value > 0:
            tallies[value] += 1
    start, at = 0, [0] * len(tallies)
    for value in range(len(tallies) - 1, 0, -1):
        at[value] = start
        start += tallies[value]
    order = array("q", [0]) * start
    for node, value in enumerate(depth):
        if value > 0:
            order[at[value]] = node
            at[value] += 1
    return order


def fold_downlines(
    parent: Sequence[int],
    paid: Sequence[int],
    depth: Sequence[int],
    *,
    total: MutableSequence[int],
    paid_total: MutableSequence[int],
    levels_total: MutableSequence[int],
    levels_paid: MutableSequence[int],
) -> array[int]:
    """Adds every node of depth > 0 (`paid[n]` 1 or 0) to the counters of the nodes above
    her, deepest first, so each subtree is complete when it is added to the level above;
    levels are TRACKED_LEVELS a node. Returns each node's height: how many levels below her
    are non-empty (a leaf, most members, has none, so her levels need no copying)."""
    height = array("q", [0]) * len(parent)
    width = TRACKED_LEVELS
    for node in deepest_first(depth):
        up = parent[node]
        is_paid = paid[node]
        total[up] += total[node] + 1
        paid_total[up] += paid_total[node] + is_paid
        into, source = up * width, node * width
        levels_total[into] += 1
        levels_paid[into] += is_paid
        below = height[node]
        for k in range(min(below, width - 1)):
            levels_total[into + k + 1] += levels_total[source + k]
            levels_paid[into + k + 1] += levels_paid[source + k]
        if below + 1 > height[up]:
            height[up] = below + 1
    return height


def forest_problems(forest: Forest | Iterable[ForestRow]) -> list[str]:
    """Members with several INVITED_BY edges, an edge to herself, an edge that disagrees with
    her inviter_id, an inviter_id that is not a member; ids on more than one node; cycles."""
    if not isinstance(forest, Forest):
        forest = load_forest(forest)
    return list(forest.problems)


COUNTER_FIELDS = ("depth", "downline_total", "downline_paid", "levels_total", "levels_paid")


def counter_mismatches(forest: Forest, counts: ForestRecount, ladder: TierLadder) -> Iterator[str]:
    """One line per stored counter (or tier) that differs from the recount. Whole arrays are
    compared first, so a healthy forest costs a few C-speed comparisons, not a Python loop."""
    pairs = (
        (forest.stored_depth, counts.depth),
        (forest.stored_total, counts.downline_total),
        (forest.stored_paid, counts.downline_paid),
        (forest.stored_levels_total, counts.levels_total),
        (forest.stored_levels_paid, counts.levels_paid),
    )
    counters_agree = all(stored == expected for stored, expected in pairs)
    tier_for: dict[int, str] = {}
    below_cycles = 0
    for position, member_id in enumerate(forest.ids):
        if counts.depth[position] < 0:
            below_cycles += 1
            continue
        if not counters_agree:
            yield from _member_mismatches(forest, counts, position)
        direct_paid = counts.levels_paid[position * TRACKED_LEVELS]
        expected_tier = tier_for.get(direct_paid)
        if expected_tier is None:
            expected_tier = tier_for[direct_paid] = ladder.tier_for(direct_paid)
        if forest.tiers[position] != expected_tier:
            yield (
                f"member {member_id}: tier stored {forest.tiers[position]}, expected "
                f"{expected_tier} for {direct_paid} paid direct invites"
            )
    if below_cycles:
        yield f"{below_cycles} members on or below an INVITED_BY cycle were not recounted"


def _member_mismatches(forest: Forest, counts: ForestRecount, position: int) -> Iterator[str]:
    stored = forest.stored(position)
    expected = counts.at(position)
    if expected is None:
        return
    yield from _field_mismatches(forest.ids[position], stored, expected)


def _field_mismatches(member_id: str, stored: Counters, recounted: Counters) -> Iterator[str]:
    for field in COUNTER_FIELDS:
        held, expected = getattr(stored, field), getattr(recounted, field)
        if held != expected:
            yield f"member {member_id}: {field} stored {held}, recounted {expected}"


def recount_from_levels(depth: int, levels: Iterable[Sequence[int]]) -> Counters:
    """A member's counters from her depth and (level, members, paid) per level of her
    downline, as a walk counts them (a level of -1 stands for no downline)."""
    totals = [0] * TRACKED_LEVELS
    paids = [0] * TRACKED_LEVELS
    downline_total = downline_paid = 0
    for level, total, paid in levels:
        if level < 0:
            continue
        downline_total += total
        downline_paid += paid
        if level < TRACKED_LEVELS:
            totals[level] += total
            paids[level] += paid
    return Counters(depth, downline_total, downline_paid, totals, paids)


def member_mismatches(
    member_id: str, stored: Counters, tier: str, recounted: Counters, ladder: TierLadder
) -> Iterator[str]:
    """One line per stored counter (or the tier) of one member that differs from a recount,
    worded as `counter_mismatches` words them."""
    yield from _field_mismatches(member_id, stored, recounted)
    direct_paid = recounted.levels_paid[0] if recounted.levels_paid else 0
    expected_tier = ladder.tier_for(direct_paid)
    if tier != expected_tier:
        yield (
            f"member {member_id}: tier stored {tier}, expected {expected_tier} for "
            f"{direct_paid} paid direct invites"
        )


# --- bulk import: every counter computed from the planned forest ----------------------


@dataclass(frozen=True, slots=True)
class NewMember:
    """A row the import will create, resolved against the graph: her join time (an empty
    one is the import time), her depth, and her inviter among the new rows (`parent`, an
    index into the same list) or -1: a top, or a member already stored (`inviter_id`)."""

    id: str
    inviter_id: str | None
    name: str | None
    joined_at: int
    paid_at: int | None
    depth: int
    parent: int


class BulkMember(NamedTuple):
    """A new member as one bulk statement writes her: counters final for what that
    statement creates (her invitees in later statements add to them as to any member)."""

    id: str
    inviter_id: str | None
    name: str | None
    joined_at: int
    paid_at: int | None
    depth: int
    downline_total: int
    downline_paid: int
    levels_total: list[int]
    levels_paid: list[int]
    tier: str
    tier_since: int
    tier_seq: int


class BulkTierChange(NamedTuple):
    member_id: str
    seq: int
    tier: str
    previous: str
    at: int


class BulkAnchor(NamedTuple):
    """A member outside the statement (stored, or created by an earlier one) under whom it
    creates members: what they add to her and, shifted by distance, to each of her
    ancestors. `levels_*[k]`: the new members k + 1 levels below her."""

    id: str
    total: int
    paid: int
    levels_total: list[int]
    levels_paid: list[int]


class BulkTier(NamedTuple):
    """An anchor created earlier in the same import whose tier the statement raises."""

    id: str
    tier: str
    tier_since: int
    tier_seq: int


@dataclass(frozen=True, slots=True)
class BulkBatch:
    """One atomic statement's writes. `deferred` (paid_at, id): paid marks of members
    invited by a member stored before the import, left to `mark_paid` (their inviter's tier
    history depends on paid invitees the file does not know)."""

    members: list[BulkMember]
    changes: list[BulkTierChange]
    anchors: list[BulkAnchor]
    tiers: list[BulkTier]
    deferred: list[tuple[int, str]]

    @property
    def paid_written(self) -> int:
        return sum(member.paid_at is not None for member in self.members)


def plan_bulk_writes(
    members: Sequence[NewMember], ladder: TierLadder, batch_size: int
) -> Iterator[BulkBatch]:
    """Cuts the new members into statements of `batch_size` along a depth-first walk
    (inviters first, so most subtrees are whole inside one statement and most counters are
    written once, final), and computes what each statement writes: every new member's
    counters, tier and tier history, and the aggregated increments of the members above.

    After each statement the graph is consistent on its own (every counter counts exactly
    the members that exist), so a crash between statements leaves nothing to repair and a
    re-run continues. Tier histories equal those paid marks in paid_at order write (what
    `mark_paid` computes): each inviter's invitees are walked paid first, in (paid_at, id)
    order, so the paid invitees written by any prefix of the statements are her earliest
    ones, and tier k is crossed at the paid_at of her k-th earliest paid invitee."""
    children: dict[int, list[int]] = {}
    roots: list[int] = []
    for index, member in enumerate(members):
        if member.parent >= 0:
            children.setdefault(member.parent, []).append(index)
        else:
            roots.append(index)

    def walk_key(index: int) -> tuple[bool, int, str]:
        member = members[index]
        return (member.paid_at is None, member.paid_at or 0, member.id)

    for invitees in children.values():
        invitees.sort(key=walk_key)
    writer = _BulkWriter(members, children, ladder)
    order = _preorder(roots, children)
    for start in range(0, len(order), batch_size):
        yield writer.batch(order[start : start + batch_size])


def _preorder(roots: Sequence[int], children: Mapping[int, list[int]]) -> list[int]:
    order: list[int] = []
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        order.append(node)
        below = children.get(node)
        if below:
            stack.extend(reversed(below))
    return order


@dataclass(slots=True)
class _Tally:
    total: int = 0
    paid: int = 0
    height: int = 0
    levels_total: list[int] | None = None
    levels_paid: list[int] | None = None

    def add(self, below: _Tally | None, counted_paid: int) -> None:
        """Adds an invitee (counted paid or not) and her tally `below`."""
        if self.levels_total is None or self.levels_paid is None:
            self.levels_total = [0] * TRACKED_LEVELS
            self.levels_paid = [0] * TRACKED_LEVELS
        self.total += 1
        self.paid += counted_paid
        self.levels_total[0] += 1
        self.levels_paid[0] += counted_paid
        if below is None:
            self.height = max(self.height, 1)
            return
        self.total += below.total
        self.paid += below.paid
        if below.levels_total is not None and below.levels_paid is not None:
            for k in range(min(below.height, TRACKED_LEVELS - 1)):
                self.levels_total[k + 1] += below.levels_total[k]
                self.levels_paid[k + 1] += below.levels_paid[k]
        self.height = max(self.height, below.height + 1)


class _BulkWriter:
    """Walks the statements in order, remembering for each new inviter how many of her paid
    invitees (her earliest, by the walk's order) are written and how many tier changes she
    holds, so a later statement continues her history."""

    def __init__(
        self, members: Sequence[NewMember], children: Mapping[int, list[int]], ladder: TierLadder
    ) -> None:
        self.members = members
        self.children = children
        self.ladder = ladder
        self.batch_of = array("q", [-1]) * len(members)
        self.paid_written: dict[int, int] = {}
        self.seq: dict[int, int] = {}
        self.number = 0

    def batch(self, chunk: Sequence[int]) -> BulkBatch:
        members, batch_of = self.members, self.batch_of
        number = self.number = self.number + 1
        for index in chunk:
            batch_of[index] = number
        inside: dict[int, _Tally] = {}
        outside: dict[str, _Tally] = {}
        paid_invitees: dict[int, int] = {}
        deferred: list[tuple[int, str]] = []
        # Invitees before inviters: each tally is complete when it is folded upwards.
        for index in reversed(chunk):
            member = members[index]
            if member.inviter_id is None:
                continue
            counted = member.paid_at is not None
            if member.parent < 0 and counted:
                assert member.paid_at is not None
                deferred.append((member.paid_at, member.id))
                counted = False
            below = inside.get(index)
            if member.parent >= 0 and batch_of[member.parent] == number:
                target = inside.setdefault(member.parent, _Tally())
            else:
                target = outside.setdefault(member.inviter_id, _Tally())
            target.add(below, int(counted))
            if counted:
                paid_invitees[member.parent] = paid_invitees.get(member.parent, 0) + 1
        changes: list[BulkTierChange] = []
        written = [
            self._member(index, inside.get(index), paid_invitees, changes) for index in chunk
        ]
        tiers = self._raised_tiers(paid_invitees, changes)
        anchors = [
            BulkAnchor(
                id=anchor_id,
                total=tally.total,
                paid=tally.paid,
                levels_total=tally.levels_total or [0] * TRACKED_LEVELS,
                levels_paid=tally.levels_paid or [0] * TRACKED_LEVELS,
            )
            for anchor_id, tally in outside.items()
        ]
        return BulkBatch(written, changes, anchors, tiers, deferred)

    def _member(
        self,
        index: int,
        tally: _Tally | None,
        paid_invitees: dict[int, int],
        changes: list[BulkTierChange],
    ) -> BulkMember:
        member = self.members[index]
        paid_at = None if member.parent < 0 and member.inviter_id is not None else member.paid_at
        tier, since, seq = self.ladder.base_tier, member.joined_at, 0
        reached = paid_invitees.pop(index, 0)
        if reached:
            self.paid_written[index] = reached
            crossed = self._crossings(index, 0, reached, 0, changes)
            if crossed:
                tier, since, seq = crossed
        zeros = [0] * TRACKED_LEVELS
        return BulkMember(
            id=member.id,
            inviter_id=member.inviter_id,
            name=member.name,
            joined_at=member.joined_at,
            paid_at=paid_at,
            depth=member.depth,
            downline_total=tally.total if tally else 0,
            downline_paid=tally.paid if tally else 0,
            levels_total=tally.levels_total or zeros if tally else zeros,
            levels_paid=tally.levels_paid or zeros if tally else zeros,
            tier=tier,
            tier_since=since,
            tier_seq=seq,
        )

    def _raised_tiers(
        self, paid_invitees: dict[int, int], changes: list[BulkTierChange]
    ) -> list[BulkTier]:
        """Inviters created by earlier statements whose paid invitees this one adds (every
        inviter of this statement's own members was popped by `_member`)."""
        tiers: list[BulkTier] = []
        for index, added in paid_invitees.items():
            before = self.paid_written.get(index, 0)
            self.paid_written[index] = before + added
            crossed = self._crossings(
                index, before, before + added, self.seq.get(index, 0), changes
            )
            if crossed:
                tier, since, seq = crossed
                tiers.append(BulkTier(self.members[index].id, tier, since, seq))
        return tiers

    def _crossings(
        self, index: int, before: int, after: int, seq: int, changes: list[BulkTierChange]
    ) -> tuple[str, int, int] | None:
        """Appends the tier changes of reaching `after` paid invitees from `before`; returns
        her new (tier, tier_since, tier_seq), or None when no tier is crossed."""
        steps = self.ladder.steps
        member_id = self.members[index].id
        invitees = self.children[index]
        crossed: tuple[str, int, int] | None = None
        for k in range(1, len(steps)):
            threshold = steps[k].min_paid_invites
            if before < threshold <= after:
                at = self.members[invitees[threshold - 1]].paid_at
                assert at is not None
                seq += 1
                changes.append(BulkTierChange(member_id, seq, steps[k].tier, steps[k - 1].tier, at))
                crossed = (steps[k].tier, at, seq)
        if crossed is not None:
            self.seq[index] = seq
        return crossed


class TierHistories(NamedTuple):
    """Every member's tier history for paid marks written in paid_at order into an empty
    graph, packed: `seq[n]` tiers crossed (her tier is step `seq[n]` of the ladder), and
    `crossed_at[k - 1][n]` when she crossed step k (for k <= seq[n]): the paid_at of her
    k-th earliest paid invitee by threshold."""

    seq: bytearray
    crossed_at: list[array[int]]


def tier_histories(
    parent: Sequence[int], paid_at: Sequence[int], counted: Sequence[int], ladder: TierLadder
) -> TierHistories:
    """`paid_at[n]` < 0: unpaid; `counted[n]` 0: a node left out (refused). Ties in paid_at
    cross at the same time whichever is marked first, so only the times are sorted."""
    size = len(parent)
    thresholds = [step.min_paid_invites for step in ladder.steps]
    crossed_at = [array("q", [-1]) * size for _ in thresholds[1:]]
    seq = bytearray(size)
    step_at = {threshold: k for k, threshold in enumerate(thresholds) if k > 0}
    last = thresholds[-1]
    reached = array("q", [0]) * size
    paid_invitees = [
        node for node in range(size) if paid_at[node] >= 0 and parent[node] >= 0 and counted[node]
    ]
    paid_invitees.sort(key=paid_at.__getitem__)
    for node in paid_invitees:
        up = parent[node]
        count = reached[up] + 1
        if count > last:
            continue
        reached[up] = count
        k = step_at.get(count)
        if k is not None:
            crossed_at[k - 1][up] = paid_at[node]
            seq[up] = k
    return TierHistories(seq=seq, crossed_at=crossed_at)
