"""Import members from a CSV or JSONL file: parse and validate line by line, plan the rows
into waves (inviters before invitees, invariant breakers rejected), register wave by wave
in batches, then mark the paid ones. Re-running an import skips what is already there and
finishes what a crashed run left undone (rows registered but not yet marked paid)."""

from __future__ import annotations

import codecs
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.core.errors import InvalidInput
from app.core.validation import validation_summary
from app.domain.forest import (
    ImportProblem,
    ImportRow,
    NewMember,
    ProblemKind,
    plan_bulk_writes,
    plan_import,
)
from app.domain.members import (
    MAX_ID_LENGTH,
    MemberCreate,
    MemberRecord,
    NewMemberRow,
    PaidMark,
    PaidRow,
    joined_before_inviter,
    registration_conflicts,
)
from app.domain.text import servable_text, unicode_problem
from app.domain.tiers import TierLadder
from app.domain.units import MAX_EPOCH_MS, iso_epoch_ms, iso_moment, quoted
from app.services.csv_records import _decoded, _fields, _header, csv_records
from app.services.paid_bonuses import repair_paid_bonuses
from app.services.tier_histories import settle_sponsors
from app.store.port import GraphStore

COLUMNS = ("id", "inviter_id", "joined_at", "paid_at", "name")
CSV_SUFFIXES = {".csv"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
_INTEGER = re.compile(r"-?\d+")
# Digits of the largest time there is (year 9999 in epoch ms has 15).
MAX_TIME_DIGITS = 16
# Fields `read_lines` accepts without the API's models: ids of common characters (a
# subset of ID_PATTERN), printable ASCII names, plain digits for times. Any other line is
# validated by the importer's own rules (`_import_row`), so both routes accept the same.
_PLAIN_ID = re.compile(rf"[A-Za-z0-9_.:@+-]{{1,{MAX_ID_LENGTH}}}")
_PLAIN_NAME = re.compile(r"[ -~]{0,200}")
_PLAIN_TIME = re.compile(r"[0-9]{1,15}")

# A line as read: its number, and its fields by column name or why it could not be read.
RawLine = tuple[int, dict[str, Any] | str]
T = TypeVar("T")


class ImportReport(BaseModel):
    rows_read: int = 0
    created: int = 0
    skipped: int = 0
    marked_paid: int = 0
    # The referral bonuses a plan with a `paid` trigger grants for the marks imported.
    paid_bonuses_written: int = 0
    problems: list[ImportProblem] = []


class MalformedRow(ValueError):
    """A line that breaks a validation rule; the message says which."""


def import_members(
    *,
    store: GraphStore,
    ladder: TierLadder,
    source: Path,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
    now: int | None = None,
) -> ImportReport:
    """`now` (epoch ms) stands in for an empty joined_at, as the API does; default: the clock."""
    if batch_size < 1:
        raise InvalidInput("batch_size must be at least 1", field="batch_size")
    run = _ImportRun(
        store=store,
        ladder=ladder,
        batch_size=batch_size,
        progress=progress or (lambda _done: None),
        now=now if now is not None else int(time.time() * 1000),
    )
    report = run.execute(source)
    # Paid marks are written in bulk; their paid-trigger bonuses, one per invitee, the way a
    # crash's missing ones are (nothing to do without a plan that pays on a paid mark).
    report.paid_bonuses_written = repair_paid_bonuses(store=store, ladder=ladder, now=run.now)
    # A bulk load is a long write log; folded into a snapshot, the next start loads it fast.
    store.compact()
    return report


@dataclass
class _ImportRun:
    # None: planning only (an initial load writes the planned members itself).
    store: GraphStore | None
    ladder: TierLadder
    batch_size: int
    progress: Callable[[int], None]
    now: int
    report: ImportReport = field(default_factory=ImportReport)
    # Rows of this file the store refused, by id: their invitees name the line.
    refused: dict[str, int] = field(default_factory=dict)
    # (paid_at, id) of members to mark paid once every wave is registered.
    to_mark: list[tuple[int, str]] = field(default_factory=list)
    done: int = 0

    def execute(self, source: Path) -> ImportReport:
        new_members = self.plan(source, self._stored_of)
        for batch in plan_bulk_writes(new_members, self.ladder, self.batch_size):
            self._store().import_members(batch)
            self.report.created += len(batch.members)
            self.report.marked_paid += batch.paid_written
            self.to_mark.extend(batch.deferred)
            self._advance(len(batch.members) - len(batch.deferred))
        self._mark_paid()
        self.report.problems.sort(key=lambda problem: problem.line)
        return self.report

    def plan(
        self, source: Path, stored_of: Callable[[list[list[ImportRow]]], dict[str, MemberRecord]]
    ) -> list[NewMember]:
        """Parses and plans the file; returns the members to create (problems go to the
        report). `stored_of`: the stored members among the rows' ids and inviters."""
        rows, malformed = self._parse(source)
        plan = plan_import(rows, malformed=malformed)
        del rows  # the waves hold every row still needed
        self.report.problems.extend(plan.problems)
        self._advance(self.report.rows_read - plan.accepted)
        return self._resolve(plan.waves, stored_of(plan.waves))

    def _resolve(
        self, waves: list[list[ImportRow]], stored: dict[str, MemberRecord]
    ) -> list[NewMember]:
        """Settles each row against the graph as registration would, inviters first: a
        stored id is skipped (or a conflict), a row whose inviter is missing, refused or
        joined after her is refused; the rest are the members to create, with their depth."""
        new_members: list[NewMember] = []
        position: dict[str, int] = {}
        for wave in waves:
            for row in wave:
                record = stored.get(row.id)
                if record is not None:
                    queued = len(self.to_mark)
                    self._settle_existing(row, record)
                    self._advance(1 - (len(self.to_mark) - queued))
                    continue
                member = self._placed(row, stored, position, new_members)
                if member is None:
                    self._advance(1)
                    continue
                position[row.id] = len(new_members)
                new_members.append(member)
        return new_members

    def _placed(
        self,
        row: ImportRow,
        stored: dict[str, MemberRecord],
        position: dict[str, int],
        new_members: list[NewMember],
    ) -> NewMember | None:
        joined_at = self._joined_at(row)
        parent, depth = -1, 0
        inviter: tuple[str, int] | None = None
        if row.inviter_id is not None:
            if row.inviter_id in position:
                parent = position[row.inviter_id]
                above = new_members[parent]
                inviter, depth = (above.id, above.joined_at), above.depth + 1
            elif row.inviter_id in stored:
                record = stored[row.inviter_id]
                inviter, depth = (record.id, record.joined_at), record.depth + 1
            if inviter is None or joined_at < inviter[1]:
                self._refuse(row, inviter)
                return None
        return NewMember(
            id=row.id,
            inviter_id=row.inviter_id,
            name=row.name,
            joined_at=joined_at,
            paid_at=row.paid_at,
            depth=depth,
            parent=parent,
        )

    def _stored_of(self, waves: list[list[ImportRow]]) -> dict[str, MemberRecord]:
        """The stored members among the rows' ids and their inviters' (none in an empty
        graph, which is not asked about each id)."""
        if self._store().member_count() == 0:
            return {}
        ids = {row.id for wave in waves for row in wave}
        ids.update(row.inviter_id for wave in waves for row in wave if row.inviter_id)
        wanted = sorted(ids)
        stored: dict[str, MemberRecord] = {}
        for chunk in _batches(wanted, self.batch_size):
            stored.update(self._stored(chunk))
        return stored

    def _store(self) -> GraphStore:
        assert self.store is not None, "a planning-only run writes nothing"
        return self.store

    def _advance(self, rows: int) -> None:
        self.done += rows
        self.progress(self.done)

    def _parse(self, source: Path) -> tuple[list[ImportRow], dict[str, int]]:
        rows: list[ImportRow] = []
        malformed: dict[str, int] = {}
        for line, fields in read_lines(source, self.now):
            self.report.rows_read += 1
            if isinstance(fields, tuple):  # plain fields, already valid
                rows.append(ImportRow(line, *fields))
                continue
            try:
                if isinstance(fields, str):
                    raise MalformedRow(fields)
                rows.append(_import_row(line, fields, self.now))
            except MalformedRow as error:
                member_id = _readable_id(fields)
                if member_id is not None:
                    malformed.setdefault(member_id, line)
                self.report.problems.append(
                    ImportProblem(
                        line=line, id=member_id, kind=ProblemKind.MALFORMED, reason=str(error)
                    )
                )
        return rows, malformed

    def _stored(self, ids: Sequence[str]) -> dict[str, MemberRecord]:
        return {member.id: member for member in self._store().get_members(ids)}

    def _queue_paid(self, row: ImportRow, stored_paid_at: int | None) -> None:
        if row.paid_at is not None and stored_paid_at is None:
            self.to_mark.append((row.paid_at, row.id))

    def _new_member(self, row: ImportRow) -> NewMemberRow:
        return NewMemberRow(
            id=row.id,
            inviter_id=row.inviter_id,
            name=row.name,
            joined_at=self._joined_at(row),
            attributes_json=None,
        )

    def _joined_at(self, row: ImportRow) -> int:
        return row.joined_at if row.joined_at is not None else self.now

    def _settle_existing(self, row: ImportRow, stored: MemberRecord) -> None:
        differences = registration_conflicts(
            stored, self._new_member(row), joined_at_given=row.joined_at is not None
        )
        if differences:
            self._problem(
                row,
                ProblemKind.CONFLICT,
                f"member {row.id!r} is already registered with a different "
                + ", ".join(differences),
            )
            return
        self.report.skipped += 1
        if row.paid_at is not None and stored.paid_at not in (None, row.paid_at):
            self._problem(
                row,
                ProblemKind.CONFLICT,
                f"member {row.id!r} is already paid at {iso_moment(stored.paid_at)}, not "
                f"{iso_moment(row.paid_at)}",
            )
        self._queue_paid(row, stored.paid_at)

    def _refuse(self, row: ImportRow, inviter: tuple[str, int] | None) -> None:
        """Reports a row not to create; `inviter`: her (id, joined_at), if she is a member."""
        self.refused[row.id] = row.line
        self._problem(row, *self._refusal(row, inviter))

    def _refusal(self, row: ImportRow, inviter: tuple[str, int] | None) -> tuple[ProblemKind, str]:
        if row.inviter_id in self.refused:
            line = self.refused[row.inviter_id]
            return (
                ProblemKind.INVITER_REJECTED,
                f"inviter {row.inviter_id!r} rejected at line {line}",
            )
        if inviter is None:
            return ProblemKind.INVITER_MISSING, f"inviter {row.inviter_id!r} is not a member"
        early = joined_before_inviter(self._joined_at(row), *inviter)
        assert early is not None, "only a row joining before her inviter is refused so"
        return ProblemKind.JOINED_BEFORE_INVITER, early

    def _problem(self, row: ImportRow, kind: ProblemKind, reason: str) -> None:
        self.report.problems.append(
            ImportProblem(line=row.line, id=row.id, kind=kind, reason=reason)
        )

    def _mark_paid(self) -> None:
        # Marking in paid_at order across the whole file keeps tier histories in time order.
        self.to_mark.sort()
        for batch in _batches(self.to_mark, self.batch_size):
            rows = [PaidRow(id=member_id, paid_at=paid_at) for paid_at, member_id in batch]
            self.report.marked_paid += len(self._store().mark_paid(rows, self.ladder))
            # Stored sponsors whose history steps down are derived again, as after any mark.
            settle_sponsors(
                store=self._store(), ladder=self.ladder, member_ids=[row.id for row in rows]
            )
            self._advance(len(batch))


def plan_initial_load(
    *, ladder: TierLadder, source: Path, now: int | None = None
) -> tuple[ImportReport, list[NewMember]]:
    """The file planned for an empty graph (`refgraph import --initial`): its problems, and
    the members to create with their depth and inviter, inviters first."""
    run = _ImportRun(
        store=None,
        ladder=ladder,
        batch_size=1,
        progress=lambda _done: None,
        now=now if now is not None else int(time.time() * 1000),
    )
    new_members = run.plan(source, lambda _waves: {})
    run.report.problems.sort(key=lambda problem: problem.line)
    return run.report, new_members


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _raw_lines(source: Path) -> Iterator[RawLine]:
    suffix = source.suffix.lower()
    if suffix in CSV_SUFFIXES:
        yield from csv_records(source, COLUMNS)
    elif suffix in JSONL_SUFFIXES:
        yield from _jsonl_lines(source)
    else:
        raise InvalidInput(
            f"{source.name}: unknown file type {suffix!r}; use .csv, .jsonl or .ndjson",
            field="source",
        )


def _plain_time(value: Any) -> int | bool | None:
    """A time of plain digits (or none: None); False when it needs the full rules."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and _PLAIN_TIME.fullmatch(value):
        number = int(value)
        return number if number <= MAX_EPOCH_MS else False
    return False


def _plain_row(fields: Mapping[str, Any], now: int) -> PlainFields | None:
    """A JSONL line of plain fields the API's rules accept as they are, or None: the line
    goes through those rules (`_import_row`)."""
    member_id, inviter_id, name = fields.get("id"), fields.get("inviter_id"), fields.get("name")
    if not (isinstance(member_id, str) and _PLAIN_ID.fullmatch(member_id)):
        return None
    if inviter_id is not None and not (
        isinstance(inviter_id, str) and _PLAIN_ID.fullmatch(inviter_id)
    ):
        return None
    if name is not None and not (isinstance(name, str) and _PLAIN_NAME.fullmatch(name)):
        return None
    joined_at, paid_at = _plain_time(fields.get("joined_at")), _plain_time(fields.get("paid_at"))
    if joined_at is False or paid_at is False:
        return None
    assert not isinstance(joined_at, bool) and not isinstance(paid_at, bool)
    if paid_at is not None and paid_at < (joined_at if joined_at is not None else now):
        return None
    return member_id, inviter_id, joined_at, paid_at, name


# A line as `read_lines` reads it: plain fields (id, inviter_id, joined_at, paid_at, name),
# or its fields by column name (or why it could not be read) for the importer's rules.
PlainFields = tuple[str, str | None, int | None, int | None, str | None]
ReadLine = tuple[int, PlainFields | dict[str, Any] | str]


def read_lines(source: Path, now: int) -> Iterator[ReadLine]:
    """The importer's lines (`_raw_lines`), with the lines of plain fields read by one
    regular expression and no dict: at 20M lines the generic reader was most of the plan's
    time. A plain line is one the API's rules accept as it is (ids of common characters,
    printable ASCII names without quotes or commas, times of digits in range, paid_at not
    before joined_at); every other line takes the generic route, which reports it the same
    way as `refgraph import` does."""
    if source.suffix.lower() not in CSV_SUFFIXES:
        for line, fields in _raw_lines(source):
            plain = None if isinstance(fields, str) else _plain_row(fields, now)
            yield line, fields if plain is None else plain
        return
    with source.open("rb") as handle:
        names: list[str] | None = None
        plain_line: re.Pattern[str] | None = None
        for line, raw in enumerate(handle, start=1):
            if names is None or plain_line is None:
                header = header_of(source, raw, first=line == 1)
                if header is not None:
                    names = header
                    plain_line = _plain_line_pattern(names)
                continue
            match = plain_line.fullmatch(raw.rstrip(b"\r\n").decode("latin-1"))
            if match is not None:
                plain = _plain_match(match, now)
                if plain is not None:
                    yield line, plain
                    continue
            record = record_of(raw, names)
            if record is not None:
                yield line, record


def _plain_line_pattern(names: list[str]) -> re.Pattern[str]:
    """A CSV line of plain fields in the header's column order, each a named group."""
    plain = {
        "id": f"(?P<id>{_PLAIN_ID.pattern})",
        "inviter_id": f"(?P<inviter_id>{_PLAIN_ID.pattern})?",
        "joined_at": f"(?P<joined_at>{_PLAIN_TIME.pattern})?",
        "paid_at": f"(?P<paid_at>{_PLAIN_TIME.pattern})?",
        # Printable ASCII but the quote and the comma: such a field is read as it is.
        "name": r"(?P<name>[ !#-+\--~]{0,200})",
    }
    return re.compile(",".join(plain[name] for name in names))


def _plain_match(match: re.Match[str], now: int) -> PlainFields | None:
    member_id, inviter_id, joined, paid, name = match.group(
        "id", "inviter_id", "joined_at", "paid_at", "name"
    )
    joined_at = None if joined is None else int(joined)
    paid_at = None if paid is None else int(paid)
    if (joined_at is not None and joined_at > MAX_EPOCH_MS) or (
        paid_at is not None
        and (paid_at > MAX_EPOCH_MS or paid_at < (now if joined_at is None else joined_at))
    ):
        return None
    return member_id, inviter_id, joined_at, paid_at, name or None


def header_of(source: Path, raw: bytes, *, first: bool) -> list[str] | None:
    """The column names of a header line, or None for a blank line before it (as
    `csv_records`)."""
    text = _decoded(raw, first=first)
    if isinstance(text, UnicodeDecodeError):
        raise InvalidInput(
            f"{source.name}: the header line is not UTF-8 text ({text.reason})", field="source"
        )
    if not text.strip():
        return None
    header = _fields(text)
    if isinstance(header, str):
        raise InvalidInput(f"{source.name}: the header: {header}", field="source")
    return _header(source, header, COLUMNS)


def record_of(raw: bytes, names: list[str]) -> dict[str, str | None] | str | None:
    """A line that is not plain, as `csv_records` reads it (None: a blank line)."""
    text = _decoded(raw, first=False)
    if isinstance(text, UnicodeDecodeError):
        return (
            f"not UTF-8 text: byte 0x{text.object[text.start]:02x} at column "
            f"{text.start + 1} ({text.reason})"
        )
    if not text.strip():
        return None
    record = _fields(text)
    if isinstance(record, str):
        return record
    if len(record) != len(names):
        return f"expected {len(names)} columns, found {len(record)}"
    return {name: value or None for name, value in zip(names, record, strict=True)}


def _jsonl_lines(source: Path) -> Iterator[RawLine]:
    """Each line decoded and parsed on its own: a line that is not UTF-8 or not JSON is
    reported, and the lines after it are still read."""
    with source.open("rb") as handle:
        for line, raw in enumerate(handle, start=1):
            if line == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield (
                    line,
                    (
                        f"not UTF-8 text: byte 0x{raw[error.start]:02x} at column "
                        f"{error.start + 1} ({error.reason})"
                    ),
                )
                continue
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                yield line, f"not JSON: {error.msg} at column {error.colno}"
                continue
            except (ValueError, RecursionError) as error:
                # An integer past Python's 4,300 digits, or nesting past its stack: not
                # JSON this import can read, and no reason to stop the others.
                yield line, f"not JSON this import can read: {type(error).__name__}"
                continue
            if not isinstance(value, dict):
                yield line, "not a JSON object"
                continue
            # As a report can print them: a key may hold a lone surrogate.
            unknown = sorted(servable_text(key) for key in set(value) - set(COLUMNS))
            if unknown:
                yield line, f"unknown field {', '.join(unknown)}; expected {', '.join(COLUMNS)}"
                continue
            yield line, value


def _readable_id(fields: dict[str, Any] | str) -> str | None:
    """The line's id, when a report can show it (a lone surrogate could not be printed)."""
    if isinstance(fields, str):
        return None
    member_id = fields.get("id")
    if isinstance(member_id, str) and member_id and unicode_problem(member_id) is None:
        return member_id
    return None


def _import_row(line: int, fields: dict[str, Any], now: int) -> ImportRow:
    """Validates a line by the API's own rules (MemberCreate, PaidMark)."""
    if fields.get("id") in (None, ""):
        raise MalformedRow("missing id")
    joined_at = _epoch_ms(fields.get("joined_at"), "joined_at")
    paid_at = _epoch_ms(fields.get("paid_at"), "paid_at")
    try:
        member = MemberCreate.model_validate(
            {
                "id": fields["id"],
                "inviter_id": fields.get("inviter_id"),
                "name": fields.get("name"),
                "joined_at": joined_at,
            }
        )
        PaidMark.model_validate({"paid_at": paid_at})
    except ValidationError as error:
        raise MalformedRow(_validation_summary(error)) from error
    if paid_at is not None and paid_at < (joined_at if joined_at is not None else now):
        when = "joined_at" if joined_at is not None else "the import time (joined_at is empty)"
        raise MalformedRow(f"paid_at {iso_moment(paid_at)} is before {when}")
    return ImportRow(
        line=line,
        id=member.id,
        inviter_id=member.inviter_id,
        joined_at=member.joined_at,
        paid_at=paid_at,
        name=member.name,
    )


def _epoch_ms(value: Any, name: str) -> int | None:
    """Epoch milliseconds from an integer, a string of digits, or an ISO-8601 time (naive
    times are UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            # Bounded before int(): past 4,300 digits int() raises, and a 5,000-digit time
            # stopped the whole import with a traceback.
            if len(text.lstrip("-")) > MAX_TIME_DIGITS:
                raise MalformedRow(f"{name} {quoted(text)} is out of range for epoch milliseconds")
            return int(text)
        try:
            return iso_epoch_ms(text, naive_is_utc=True)
        except ValueError:
            pass
    raise MalformedRow(
        f"{name} {quoted(str(value))} is neither epoch milliseconds nor an ISO-8601 time"
    )


def _validation_summary(error: ValidationError) -> str:
    # Pydantic's messages without its "Value error, " prefixes (app/core/validation.py).
    return validation_summary(error.errors(include_url=False))
