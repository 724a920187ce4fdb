"""`refgraph import --initial`: a migrating platform's first load into an empty graph, with
every counter, per-level count, tier and tier history computed from the file before a
single write.

Neo4j: the file is planned into packed arrays (a few dozen bytes a member, so 20M members
fit: no Python object per member survives the first pass), written as node and
relationship CSVs (typed headers) by a second pass over the file, loaded by Neo4j's
offline importer (`neo4j-admin database import full`, run through `scripts/neo4j-local
admin` on the stopped local server), and the server is started again and migrated (the
migrations create the indexes and constraints over the loaded data).
FalkorDB: the file is planned as one forest and written with the bulk import statement in
large batches into the empty graph (nothing above them to increment, no checks), then
compacted."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import tempfile
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from app.core.errors import InvalidInput
from app.domain.forest import (
    BLOCKED,
    CYCLE_IDS_SHOWN,
    LEVELS_TYPECODE,
    UNRESOLVED,
    BulkBatch,
    BulkMember,
    BulkTierChange,
    ImportProblem,
    ProblemKind,
    TierHistories,
    deepest_first,
    fold_downlines,
    resolve_depths,
    tier_histories,
)
from app.domain.members import TRACKED_LEVELS, joined_before_inviter
from app.domain.search import search_key_fields
from app.domain.tiers import TierLadder
from app.services.importer import (
    CSV_SUFFIXES,
    ImportReport,
    MalformedRow,
    PlainFields,
    _import_row,
    _readable_id,
    header_of,
    read_lines,
    record_of,
)
from app.store.port import GraphStore

# Arrays in the node CSV; no member id or name is split on it (they are single fields).
ARRAY_DELIMITER = ";"
MEMBER_HEADER = [
    "id:ID(Member)",
    "inviter_id",
    "name",
    "joined_at:long",
    "paid_at:long",
    "depth:long",
    "downline_total:long",
    "downline_paid:long",
    "levels_total:long[]",
    "levels_paid:long[]",
    "tier",
    "tier_since:long",
    "tier_seq:long",
]
EDGE_HEADER = [":START_ID(Member)", ":END_ID(Member)"]
CHANGE_HEADER = ["member_id", "seq:long", "tier", "previous", "at:long"]
SEARCH_KEY_HEADER = ["member_id", "id_key", "name_key"]
# FalkorDB writes the initial load in statements of this many members.
FALKORDB_BATCH = 20_000
# No time given (joined_at, paid_at) in the packed arrays; epoch ms are never negative.
NO_TIME = -1
_ZERO_LEVELS = [ARRAY_DELIMITER.join(["0"] * n) for n in range(TRACKED_LEVELS + 1)]


class InitialLoadReport(BaseModel):
    import_report: ImportReport
    members: int
    tier_changes: int
    plan_s: float
    load_s: float
    migrate_s: float


@dataclass
class PackedPlan:
    """The file planned for an empty graph, one position per line that defines an id (in
    file order): its line, times, inviter and depth (BLOCKED: not created), the recounted
    counters and the tier histories. Ids and names are not kept; `planned_rows` reads them
    again from the file."""

    source: Path
    now: int
    report: ImportReport
    lines: array[int]
    # Positions the plain-field check did not accept (validated by the importer's rules).
    slow: bytearray
    parent: array[int]
    joined_at: array[int]
    paid_at: array[int]
    depth: list[int]
    downline_total: array[int] = field(default_factory=lambda: array("q"))
    downline_paid: array[int] = field(default_factory=lambda: array("q"))
    levels_total: array[int] = field(default_factory=lambda: array(LEVELS_TYPECODE))
    levels_paid: array[int] = field(default_factory=lambda: array(LEVELS_TYPECODE))
    height: array[int] = field(default_factory=lambda: array("q"))
    tiers: TierHistories = field(default_factory=lambda: TierHistories(bytearray(), []))

    @property
    def size(self) -> int:
        return len(self.lines)

    def joined(self, position: int) -> int:
        """Her join time as registered (an empty one is the import time)."""
        value = self.joined_at[position]
        return self.now if value == NO_TIME else value


def plan_packed(*, ladder: TierLadder, source: Path, now: int | None = None) -> PackedPlan:
    """Parses and plans `source` for an empty graph with the ordinary importer's rules and
    problems (`plan_import`, then registration's checks inviters first), then recounts every
    counter and tier history over the packed arrays."""
    # The planner's id index is dropped before the counters are allocated.
    plan = _PackedPlanner(source, now if now is not None else int(time.time() * 1000)).run()
    accepted = bytearray(d >= 0 for d in plan.depth)
    paid = bytearray(
        1 if ok and at != NO_TIME else 0 for ok, at in zip(accepted, plan.paid_at, strict=True)
    )
    size = plan.size
    plan.downline_total = array("q", [0]) * size
    plan.downline_paid = array("q", [0]) * size
    plan.levels_total = array(LEVELS_TYPECODE, [0]) * (size * TRACKED_LEVELS)
    plan.levels_paid = array(LEVELS_TYPECODE, [0]) * (size * TRACKED_LEVELS)
    plan.height = fold_downlines(
        plan.parent,
        paid,
        plan.depth,
        total=plan.downline_total,
        paid_total=plan.downline_paid,
        levels_total=plan.levels_total,
        levels_paid=plan.levels_paid,
    )
    plan.tiers = tier_histories(plan.parent, plan.paid_at, accepted, ladder)
    plan.report.created = sum(accepted)
    plan.report.marked_paid = sum(paid)
    return plan


class _PackedPlanner:
    """The first pass: `plan_import` and the importer's `_resolve` for an empty graph, over
    arrays. The id index (the one structure as large as the file's ids) lives only here."""

    def __init__(self, source: Path, now: int) -> None:
        self.source = source
        self.now = now
        self.report = ImportReport()
        self.problems: list[ImportProblem] = []
        self.defining: dict[str, int] = {}
        self.ids: list[str] = []
        self.malformed: dict[str, int] = {}
        self.lines = array("q")
        self.slow = bytearray()
        self.parent = array("q")
        self.joined_at = array("q")
        self.paid_at = array("q")
        self.blocked = bytearray()
        # Inviters not defined yet when their invitee's line was read.
        self.pending: list[tuple[int, str]] = []
        self.missing_inviter: dict[int, str] = {}

    def run(self) -> PackedPlan:
        for line, fields in read_lines(self.source, self.now):
            self.report.rows_read += 1
            self._read(line, fields)
        for position, inviter_id in self.pending:
            self._set_inviter(position, inviter_id)
        self.pending = []
        depth = [BLOCKED if flag else UNRESOLVED for flag in self.blocked]
        self._report_cycles(resolve_depths(self.parent, depth), depth)
        self.blocked = bytearray()
        self._refuse_as_registration_would(depth)
        self.problems.sort(key=lambda problem: problem.line)
        self.report.problems = self.problems
        return PackedPlan(
            source=self.source,
            now=self.now,
            report=self.report,
            lines=self.lines,
            slow=self.slow,
            parent=self.parent,
            joined_at=self.joined_at,
            paid_at=self.paid_at,
            depth=depth,
        )

    def _read(self, line: int, fields: PlainFields | dict[str, Any] | str) -> None:
        if isinstance(fields, tuple):
            member_id, inviter_id, joined_at, paid_at, _name = fields
            slow = 0
        else:
            try:
                if isinstance(fields, str):
                    raise MalformedRow(fields)
                row = _import_row(line, fields, self.now)
            except MalformedRow as error:
                readable = _readable_id(fields)
                if readable is not None:
                    self.malformed.setdefault(readable, line)
                self._problem(line, readable, ProblemKind.MALFORMED, str(error))
                return
            member_id, inviter_id, joined_at, paid_at = (
                row.id,
                row.inviter_id,
                row.joined_at,
                row.paid_at,
            )
            slow = 1
        first = self.defining.get(member_id)
        if first is None:
            bad_line = self.malformed.get(member_id)
            first_line = bad_line if bad_line is not None and bad_line < line else None
        else:
            first_line = self.lines[first]
        if first_line is not None:
            self._problem(
                line,
                member_id,
                ProblemKind.DUPLICATE,
                f"duplicate id {member_id!r}, first at line {first_line}",
            )
            return
        position = len(self.lines)
        self.defining[member_id] = position
        self.ids.append(member_id)
        self.lines.append(line)
        self.slow.append(slow)
        self.parent.append(-1)
        self.joined_at.append(NO_TIME if joined_at is None else joined_at)
        self.paid_at.append(NO_TIME if paid_at is None else paid_at)
        self.blocked.append(0)
        if inviter_id == member_id:
            self._block(position, ProblemKind.SELF_INVITE, f"member {member_id!r} invites herself")
        elif inviter_id is not None:
            if inviter_id in self.defining:
                self._set_inviter(position, inviter_id)
            else:
                self.pending.append((position, inviter_id))

    def _set_inviter(self, position: int, inviter_id: str) -> None:
        inviter = self.defining.get(inviter_id)
        if inviter is not None:
            self.parent[position] = inviter
            joined, above = self.joined_at[position], self.joined_at[inviter]
            if joined != NO_TIME and above != NO_TIME:
                early = joined_before_inviter(joined, inviter_id, above)
                if early is not None:
                    self._block(position, ProblemKind.JOINED_BEFORE_INVITER, early)
        elif inviter_id in self.malformed:
            self._block(position, *_rejected(inviter_id, self.malformed[inviter_id]))
        else:
            self.missing_inviter[position] = inviter_id

    def _report_cycles(self, cycles: list[list[int]], depth: list[int]) -> None:
        on_cycle: set[int] = set()
        for cycle in cycles:
            ids = [self.ids[node] for node in cycle]
            for index, node in enumerate(cycle):
                on_cycle.add(node)
                self._problem(
                    self.lines[node],
                    ids[index],
                    ProblemKind.CYCLE,
                    "in an inviter cycle: " + _cycle_text(ids, index),
                )
        # Below a blocked row (whose own problem is reported already): name its line.
        blocked = self.blocked
        for node, value in enumerate(depth):
            if value == BLOCKED and not blocked[node] and node not in on_cycle:
                up = self.parent[node]
                self._problem(
                    self.lines[node],
                    self.ids[node],
                    *_rejected(self.ids[up], self.lines[up]),
                )

    def _refuse_as_registration_would(self, depth: list[int]) -> None:
        """The importer's `_resolve` for an empty graph, inviters first: a top whose inviter
        is not a member, a member under a refused one, or one joining (an empty time is the
        import time) before her inviter is refused, and so are the members below her."""
        for node, inviter_id in self.missing_inviter.items():
            if depth[node] == 0:
                depth[node] = BLOCKED
                self._problem(
                    self.lines[node],
                    self.ids[node],
                    ProblemKind.INVITER_MISSING,
                    f"inviter {inviter_id!r} is not a member",
                )
        for node in reversed(deepest_first(depth)):
            up = self.parent[node]
            if depth[up] < 0:
                depth[node] = BLOCKED
                reason = _rejected(self.ids[up], self.lines[up])
                self._problem(self.lines[node], self.ids[node], *reason)
                continue
            joined = self._joined(node)
            above = self._joined(up)
            if joined < above:
                depth[node] = BLOCKED
                early = joined_before_inviter(joined, self.ids[up], above)
                assert early is not None
                self._problem(
                    self.lines[node], self.ids[node], ProblemKind.JOINED_BEFORE_INVITER, early
                )

    def _joined(self, position: int) -> int:
        value = self.joined_at[position]
        return self.now if value == NO_TIME else value

    def _block(self, position: int, kind: ProblemKind, reason: str) -> None:
        self.blocked[position] = 1
        self._problem(self.lines[position], self.ids[position], kind, reason)

    def _problem(self, line: int, member_id: str | None, kind: ProblemKind, reason: str) -> None:
        self.problems.append(ImportProblem(line=line, id=member_id, kind=kind, reason=reason))


def _rejected(inviter_id: str, line: int) -> tuple[ProblemKind, str]:
    return ProblemKind.INVITER_REJECTED, f"inviter {inviter_id!r} rejected at line {line}"


def _cycle_text(ids: list[str], start: int) -> str:
    size = len(ids)
    shown = [ids[(start + step) % size] for step in range(min(size, CYCLE_IDS_SHOWN))]
    if size <= CYCLE_IDS_SHOWN:
        return " → ".join([*shown, shown[0]])
    return " → ".join(shown) + f" → … ({size} members in the cycle)"


def planned_rows(plan: PackedPlan) -> Iterator[tuple[int, str, str | None, str | None]]:
    """(position, id, inviter_id, name) of every member to create, in file order: the
    second pass over the file. A CSV line the first pass read as plain is split as it is
    (it holds no quote and exactly the header's columns)."""
    lines, depth, slow, now = plan.lines, plan.depth, plan.slow, plan.now
    if plan.source.suffix.lower() not in CSV_SUFFIXES:
        position, size = 0, plan.size
        for line, fields in read_lines(plan.source, now):
            if position >= size or line != lines[position]:
                continue
            at, position = position, position + 1
            if depth[at] >= 0:
                yield at, *_member_fields(line, fields, now)
        return
    with plan.source.open("rb") as handle:
        names: list[str] | None = None
        position, size = 0, plan.size
        for line, raw in enumerate(handle, start=1):
            if names is None:
                names = header_of(plan.source, raw, first=line == 1)
                if names is not None:
                    columns = [names.index(name) for name in ("id", "inviter_id", "name")]
                continue
            if position >= size or line != lines[position]:
                continue
            at, position = position, position + 1
            if depth[at] < 0:
                continue
            if slow[at]:
                record = record_of(raw, names)
                assert record is not None, "the first pass read this line"
                yield at, *_member_fields(line, record, now)
                continue
            values = raw.rstrip(b"\r\n").decode("ascii").split(",")
            member_id, inviter_id, name = (values[column] for column in columns)
            yield at, member_id, inviter_id or None, name or None


def _member_fields(
    line: int, fields: PlainFields | dict[str, Any] | str, now: int
) -> tuple[str, str | None, str | None]:
    if isinstance(fields, tuple):
        return fields[0], fields[1], fields[4]
    assert isinstance(fields, dict), "the first pass accepted this line"
    row = _import_row(line, fields, now)
    return row.id, row.inviter_id, row.name


def write_neo4j_csvs(
    plan: PackedPlan, ladder: TierLadder, folder: Path
) -> tuple[dict[str, Path], int]:
    """Node and relationship files for `neo4j-admin database import full`, and how many
    tier changes they hold. An empty field is an absent property (the import runs with
    --ignore-empty-strings)."""
    files = {
        name: folder / f"{name}.csv" for name in ("members", "edges", "tier_changes", "search_keys")
    }
    steps = [step.tier for step in ladder.steps]
    seq, crossed_at = plan.tiers
    total, paid_total, height = plan.downline_total, plan.downline_paid, plan.height
    levels_total, levels_paid = plan.levels_total, plan.levels_paid
    depth, paid_at, joined_at, now = plan.depth, plan.paid_at, plan.joined_at, plan.now
    changes = 0
    with (
        files["members"].open("w", newline="", encoding="utf-8") as members,
        files["edges"].open("w", newline="", encoding="utf-8") as edges,
        files["tier_changes"].open("w", newline="", encoding="utf-8") as tier_changes,
        files["search_keys"].open("w", newline="", encoding="utf-8") as search_keys,
    ):
        member_row = csv.writer(members).writerow
        edge_row = csv.writer(edges).writerow
        change_row = csv.writer(tier_changes).writerow
        key_row = csv.writer(search_keys).writerow
        member_row(MEMBER_HEADER)
        edge_row(EDGE_HEADER)
        change_row(CHANGE_HEADER)
        key_row(SEARCH_KEY_HEADER)
        for position, member_id, inviter_id, name in planned_rows(plan):
            joined = joined_at[position]
            if joined == NO_TIME:
                joined = now
            paid = paid_at[position]
            crossed = seq[position]
            since = crossed_at[crossed - 1][position] if crossed else joined
            start, below = position * TRACKED_LEVELS, min(height[position], TRACKED_LEVELS)
            member_row(
                (
                    member_id,
                    inviter_id or "",
                    name or "",
                    joined,
                    "" if paid == NO_TIME else paid,
                    depth[position],
                    total[position],
                    paid_total[position],
                    _levels_text(levels_total, start, below),
                    _levels_text(levels_paid, start, below),
                    steps[crossed],
                    since,
                    crossed,
                )
            )
            keys = search_key_fields(member_id, name)
            key_row((member_id, keys["id_key"], keys["name_key"] or ""))
            if inviter_id is not None:
                edge_row((member_id, inviter_id))
            for k in range(1, crossed + 1):
                change_row((member_id, k, steps[k], steps[k - 1], crossed_at[k - 1][position]))
            changes += crossed
    return files, changes


def _levels_text(levels: array[int], start: int, below: int) -> str:
    """A member's per-level counts; past her height they are zeros (a leaf's all are)."""
    if below == 0:
        return _ZERO_LEVELS[TRACKED_LEVELS]
    head = ARRAY_DELIMITER.join(map(str, levels[start : start + below]))
    if below == TRACKED_LEVELS:
        return head
    return head + ARRAY_DELIMITER + _ZERO_LEVELS[TRACKED_LEVELS - below]


def neo4j_import_command(files: dict[str, Path], database: str = "neo4j") -> list[str]:
    """The arguments of `neo4j-admin` that load `files` into `database`, replacing it."""
    return [
        "database",
        "import",
        "full",
        f"--nodes=Member={files['members']}",
        f"--nodes=TierChange={files['tier_changes']}",
        f"--nodes=SearchKey={files['search_keys']}",
        f"--relationships=INVITED_BY={files['edges']}",
        f"--array-delimiter={ARRAY_DELIMITER}",
        "--ignore-empty-strings=true",
        # A name may hold a line break (the CSV quotes it).
        "--multiline-fields=true",
        "--overwrite-destination=true",
        # Beside the CSVs, not in the caller's folder (the tool's default is ./import.report).
        f"--report-file={files['members'].parent / 'import.report'}",
        database,
    ]


def initial_load_neo4j(
    *,
    ladder: TierLadder,
    source: Path,
    open_store: Callable[[], GraphStore],
    neo4j_local: Path,
    neo4j_home: Path | None,
    migrate: Callable[[GraphStore], object],
    work_dir: Path | None = None,
    now: int | None = None,
) -> InitialLoadReport:
    """Refuses unless the local server answers with an empty graph; then plans, writes the
    CSVs, stops the server, imports, starts it and migrates."""
    env = dict(os.environ)
    if neo4j_home is not None:
        env["NEO4J_LOCAL_DIR"] = str(neo4j_home)
    _refuse_unless_empty(open_store)
    started = time.perf_counter()
    plan = plan_packed(ladder=ladder, source=source, now=now)
    report = plan.report
    folder = Path(tempfile.mkdtemp(prefix="refgraph-initial-", dir=work_dir))
    try:
        files, changes = write_neo4j_csvs(plan, ladder, folder)
        del plan
        planned = time.perf_counter()
        _run([str(neo4j_local), "stop"], env)
        _run([str(neo4j_local), "admin", *neo4j_import_command(files)], env)
        _run([str(neo4j_local), "start"], env)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    loaded = time.perf_counter()
    store = open_store()
    try:
        migrate(store)
        members = store.member_count()
    finally:
        store.close()
    return InitialLoadReport(
        import_report=report,
        members=members,
        tier_changes=changes,
        plan_s=round(planned - started, 1),
        load_s=round(loaded - planned, 1),
        migrate_s=round(time.perf_counter() - loaded, 1),
    )


def initial_load_statements(
    *,
    store: GraphStore,
    ladder: TierLadder,
    source: Path,
    now: int | None = None,
    batch_size: int = FALKORDB_BATCH,
) -> InitialLoadReport:
    """The initial load through the bulk import statement (FalkorDB's route here): the
    packed plan written in large batches, shallowest members first (each edge finds its
    inviter in the graph), every counter final, so no statement updates a member above
    it. Holds the file's ids and names while it writes (FalkorDB keeps the whole graph in
    memory anyway)."""
    _refuse_unless_empty(lambda: store, close=False)
    started = time.perf_counter()
    plan = plan_packed(ladder=ladder, source=source, now=now)
    planned = time.perf_counter()
    changes = 0
    for batch in depth_ordered_batches(plan, ladder, batch_size):
        store.import_members(batch)
        changes += len(batch.changes)
    store.compact()
    return InitialLoadReport(
        import_report=plan.report,
        members=plan.report.created,
        tier_changes=changes,
        plan_s=round(planned - started, 1),
        load_s=round(time.perf_counter() - planned, 1),
        migrate_s=0.0,
    )


def depth_ordered_batches(
    plan: PackedPlan, ladder: TierLadder, batch_size: int
) -> Iterator[BulkBatch]:
    """The planned members as bulk statements of `batch_size`, by depth (tops first)."""
    fields: list[tuple[str, str | None, str | None] | None] = [None] * plan.size
    for position, member_id, inviter_id, name in planned_rows(plan):
        fields[position] = (member_id, inviter_id, name)
    steps = [step.tier for step in ladder.steps]
    seq, crossed_at = plan.tiers
    tops = [node for node, value in enumerate(plan.depth) if value == 0]
    order = [*tops, *reversed(deepest_first(plan.depth))]
    for start in range(0, len(order), batch_size):
        members: list[BulkMember] = []
        changes: list[BulkTierChange] = []
        for position in order[start : start + batch_size]:
            held = fields[position]
            assert held is not None, "every planned member is read again"
            member_id, inviter_id, name = held
            crossed = seq[position]
            joined = plan.joined(position)
            paid = plan.paid_at[position]
            first = position * TRACKED_LEVELS
            members.append(
                BulkMember(
                    id=member_id,
                    inviter_id=inviter_id,
                    name=name,
                    joined_at=joined,
                    paid_at=None if paid == NO_TIME else paid,
                    depth=plan.depth[position],
                    downline_total=plan.downline_total[position],
                    downline_paid=plan.downline_paid[position],
                    levels_total=plan.levels_total[first : first + TRACKED_LEVELS].tolist(),
                    levels_paid=plan.levels_paid[first : first + TRACKED_LEVELS].tolist(),
                    tier=steps[crossed],
                    tier_since=crossed_at[crossed - 1][position] if crossed else joined,
                    tier_seq=crossed,
                )
            )
            changes.extend(
                BulkTierChange(member_id, k, steps[k], steps[k - 1], crossed_at[k - 1][position])
                for k in range(1, crossed + 1)
            )
        yield BulkBatch(members, changes, [], [], [])


def _refuse_unless_empty(open_store: Callable[[], GraphStore], *, close: bool = True) -> None:
    store = open_store()
    try:
        if store.member_count() > 0:
            raise InvalidInput(
                "--initial loads into an empty graph only, and this one holds members; "
                "use `refgraph import` without --initial to add to it",
                field="initial",
            )
    finally:
        if close:
            store.close()


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[:3])} failed ({result.returncode}):\n"
            + (result.stderr or result.stdout)[-4000:]
        )
