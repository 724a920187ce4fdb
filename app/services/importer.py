"""Import members from a CSV or JSONL file: parse and validate line by line, plan the rows
into waves (inviters before invitees, invariant breakers rejected), register wave by wave
in batches, then mark the paid ones. Re-running an import skips what is already there and
finishes what a crashed run left undone (rows registered but not yet marked paid)."""

from __future__ import annotations

import codecs
import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.core.errors import InvalidInput
from app.core.validation import validation_summary
from app.domain.forest import ImportProblem, ImportRow, ProblemKind, plan_import
from app.domain.members import (
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
from app.domain.units import iso_epoch_ms, iso_moment, quoted
from app.services.csv_records import csv_records
from app.services.paid_bonuses import repair_paid_bonuses
from app.store.port import GraphStore

COLUMNS = ("id", "inviter_id", "joined_at", "paid_at", "name")
CSV_SUFFIXES = {".csv"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
_INTEGER = re.compile(r"-?\d+")
# Digits of the largest time there is (year 9999 in epoch ms has 15).
MAX_TIME_DIGITS = 16

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
    store: GraphStore
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
        rows, malformed = self._parse(source)
        plan = plan_import(rows, malformed=malformed)
        del rows  # the waves hold every row still needed
        self.report.problems.extend(plan.problems)
        self._advance(self.report.rows_read - plan.accepted)
        for wave in plan.waves:
            for batch in _batches(wave, self.batch_size):
                self._register(batch)
        self._mark_paid()
        self.report.problems.sort(key=lambda problem: problem.line)
        return self.report

    def _advance(self, rows: int) -> None:
        self.done += rows
        self.progress(self.done)

    def _parse(self, source: Path) -> tuple[list[ImportRow], dict[str, int]]:
        rows: list[ImportRow] = []
        malformed: dict[str, int] = {}
        for line, fields in _raw_lines(source):
            self.report.rows_read += 1
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

    def _register(self, batch: Sequence[ImportRow]) -> None:
        new_rows = [self._new_member(row) for row in batch]
        created = set(self.store.register_members(new_rows, self.ladder))
        self.report.created += len(created)
        stored = self._stored([row.id for row in batch if row.id not in created])
        refused = [row for row in batch if row.id not in created and row.id not in stored]
        # Their inviters as stored say why: missing, or joined after them.
        inviters = self._stored([row.inviter_id for row in refused if row.inviter_id is not None])
        queued_before = len(self.to_mark)
        for row in batch:
            if row.id in created:
                self._queue_paid(row, None)
            elif row.id in stored:
                self._settle_existing(row, stored[row.id])
            else:
                inviter = inviters.get(row.inviter_id) if row.inviter_id is not None else None
                self._refuse(row, inviter)
        # A row waiting for its paid mark is done once marked.
        self._advance(len(batch) - (len(self.to_mark) - queued_before))

    def _stored(self, ids: Sequence[str]) -> dict[str, MemberRecord]:
        return {member.id: member for member in self.store.get_members(ids)}

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

    def _refuse(self, row: ImportRow, inviter: MemberRecord | None) -> None:
        """Reports a row the store did not create; `inviter`: hers as stored, if she is."""
        self.refused[row.id] = row.line
        self._problem(row, *self._refusal(row, inviter))

    def _refusal(self, row: ImportRow, inviter: MemberRecord | None) -> tuple[ProblemKind, str]:
        if row.inviter_id in self.refused:
            line = self.refused[row.inviter_id]
            return (
                ProblemKind.INVITER_REJECTED,
                f"inviter {row.inviter_id!r} rejected at line {line}",
            )
        if row.inviter_id is not None and inviter is None:
            return ProblemKind.INVITER_MISSING, f"inviter {row.inviter_id!r} is not a member"
        if inviter is not None:
            early = joined_before_inviter(self._joined_at(row), inviter.id, inviter.joined_at)
            if early is not None:
                return ProblemKind.JOINED_BEFORE_INVITER, early
        # Only a concurrent writer can make such a row fail and then vanish.
        return ProblemKind.NOT_CREATED, f"member {row.id!r} was not created; retry"

    def _problem(self, row: ImportRow, kind: ProblemKind, reason: str) -> None:
        self.report.problems.append(
            ImportProblem(line=row.line, id=row.id, kind=kind, reason=reason)
        )

    def _mark_paid(self) -> None:
        # Marking in paid_at order across the whole file keeps tier histories in time order.
        self.to_mark.sort()
        for batch in _batches(self.to_mark, self.batch_size):
            rows = [PaidRow(id=member_id, paid_at=paid_at) for paid_at, member_id in batch]
            self.report.marked_paid += len(self.store.mark_paid(rows, self.ladder))
            self._advance(len(batch))


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
