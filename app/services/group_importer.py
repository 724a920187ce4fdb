"""Import group memberships from a CSV file (header group_id,kind,name,member_id): create
each group once (by the API's rules: a row contradicting an existing group is a problem),
then add the memberships in batches. Problems are reported by line and the rest goes on;
re-running adds nothing new. An empty member_id only creates the group."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from app.core.errors import InvalidInput
from app.core.validation import validation_summary
from app.domain.groups import Group, GroupCreate, group_conflicts
from app.domain.members import MemberCreate
from app.services.csv_records import CsvRecord, csv_records
from app.store.port import GraphStore

COLUMNS = ("group_id", "kind", "name", "member_id")
T = TypeVar("T")


class GroupProblemKind(StrEnum):
    MISSING_COLUMN = "missing_column"
    MALFORMED = "malformed"
    CONFLICT = "conflict"
    UNKNOWN_MEMBER = "unknown_member"


class GroupImportProblem(BaseModel):
    line: int
    group_id: str | None
    member_id: str | None
    kind: GroupProblemKind
    reason: str


class GroupImportReport(BaseModel):
    rows_read: int = 0
    groups_created: int = 0
    memberships_added: int = 0
    memberships_existing: int = 0
    problems: list[GroupImportProblem] = []


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    group: GroupCreate
    member_id: str | None


def import_groups(
    *,
    store: GraphStore,
    source: Path,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> GroupImportReport:
    if batch_size < 1:
        raise InvalidInput("batch_size must be at least 1", field="batch_size")
    run = _GroupImportRun(store, batch_size, progress or (lambda _done: None))
    return run.execute(source)


@dataclass
class _GroupImportRun:
    store: GraphStore
    batch_size: int
    progress: Callable[[int], None]
    report: GroupImportReport = field(default_factory=GroupImportReport)
    done: int = 0

    def execute(self, source: Path) -> GroupImportReport:
        rows = self._parse(source)
        self._advance(self.report.rows_read - len(rows))
        groups = self._settle_groups(rows)
        pending = [
            row
            for row in rows
            if row.member_id is not None and _same(groups.get(row.group.id), row.group)
        ]
        self._advance(len(rows) - len(pending))
        for batch in _batches(pending, self.batch_size):
            self._add(batch)
        self.report.problems.sort(key=lambda problem: problem.line)
        return self.report

    def _advance(self, rows: int) -> None:
        self.done += rows
        self.progress(self.done)

    def _parse(self, source: Path) -> list[_Row]:
        rows: list[_Row] = []
        for line, fields in _csv_lines(source):
            self.report.rows_read += 1
            if isinstance(fields, str):
                self._problem(line, None, None, GroupProblemKind.MALFORMED, fields)
                continue
            group_id, member_id = fields["group_id"], fields["member_id"]
            missing = [name for name in ("group_id", "kind", "name") if not fields[name]]
            if missing:
                reason = f"missing {', '.join(missing)}"
                self._problem(line, group_id, member_id, GroupProblemKind.MISSING_COLUMN, reason)
                continue
            try:
                group = GroupCreate.model_validate(
                    {"id": group_id, "kind": fields["kind"], "name": fields["name"]}
                )
                if member_id is not None:
                    # A member id by the registration's own rule.
                    MemberCreate.model_validate({"id": member_id})
            except ValidationError as error:
                reason = _validation_summary(error)
                self._problem(line, group_id, member_id, GroupProblemKind.MALFORMED, reason)
                continue
            rows.append(_Row(line=line, group=group, member_id=member_id))
        return rows

    def _settle_groups(self, rows: Sequence[_Row]) -> dict[str, Group]:
        """Creates the file's new groups (each as its first row says) and reports every row
        that contradicts its group as stored; returns the groups by id."""
        first: dict[str, GroupCreate] = {}
        for row in rows:
            first.setdefault(row.group.id, row.group)
        groups: dict[str, Group] = {}
        for batch in _batches(list(first.values()), self.batch_size):
            for group, created in self.store.put_groups(batch):
                groups[group.id] = group
                self.report.groups_created += created
        for row in rows:
            differences = group_conflicts(groups[row.group.id], row.group)
            if differences:
                stored = groups[row.group.id]
                self._problem(
                    row.line,
                    row.group.id,
                    row.member_id,
                    GroupProblemKind.CONFLICT,
                    f"group {row.group.id!r} is {stored.kind.value} {stored.name!r}; this row "
                    f"has a different {', '.join(differences)}",
                )
        return groups

    def _add(self, batch: Sequence[_Row]) -> None:
        pairs = {(row.group.id, row.member_id) for row in batch if row.member_id is not None}
        added = self.store.add_group_members(sorted(pairs))
        self.report.memberships_added += len(added)
        missing = pairs - added
        known = {m.id for m in self.store.get_members(sorted({m for _, m in missing}))}
        reported: set[tuple[str, str]] = set()
        for row in batch:
            assert row.member_id is not None
            pair = (row.group.id, row.member_id)
            if row.member_id not in known and pair not in added:
                self._problem(
                    row.line,
                    row.group.id,
                    row.member_id,
                    GroupProblemKind.UNKNOWN_MEMBER,
                    f"member {row.member_id!r} is not a member",
                )
            elif pair not in added or pair in reported:
                # Already there, from an earlier run or an earlier line of this file.
                self.report.memberships_existing += 1
            reported.add(pair)
        self._advance(len(batch))

    def _problem(
        self,
        line: int,
        group_id: str | None,
        member_id: str | None,
        kind: GroupProblemKind,
        reason: str,
    ) -> None:
        self.report.problems.append(
            GroupImportProblem(
                line=line, group_id=group_id, member_id=member_id, kind=kind, reason=reason
            )
        )


def _same(stored: Group | None, request: GroupCreate) -> bool:
    return stored is not None and not group_conflicts(stored, request)


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _csv_lines(source: Path) -> Iterator[CsvRecord]:
    if source.suffix.lower() != ".csv":
        raise InvalidInput(f"{source.name}: expected a .csv file", field="source")
    return csv_records(source, COLUMNS)


def _validation_summary(error: ValidationError) -> str:
    # Pydantic's messages without its "Value error, " prefixes (app/core/validation.py).
    return validation_summary(error.errors(include_url=False))
