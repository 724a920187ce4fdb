"""Reading an import CSV: records numbered by the line they start on, their fields by
column, and the records that cannot be read reported instead of stopping the import."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

from app.core.errors import InvalidInput

CsvRecord = tuple[int, dict[str, str | None] | str]


def csv_records(source: Path, columns: Sequence[str]) -> Iterator[CsvRecord]:
    """Each record with its line number: its fields by column (empty as None), or why it
    could not be read. The header must name exactly `columns`, in any order."""
    try:
        # newline="" lets the csv module see quoted line breaks; utf-8-sig drops a BOM.
        with source.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                return
            names = _header(source, header, columns)
            last_line = reader.line_num
            while True:
                try:
                    record = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    yield reader.line_num, f"unreadable CSV: {error}"
                    last_line = reader.line_num
                    continue
                # A quoted field may span lines: a record is numbered by the line it starts on.
                line, last_line = last_line + 1, reader.line_num
                if not record:
                    continue
                if len(record) != len(names):
                    yield line, f"expected {len(names)} columns, found {len(record)}"
                    continue
                yield line, {name: value or None for name, value in zip(names, record, strict=True)}
    except UnicodeDecodeError as error:
        raise InvalidInput(f"{source.name} is not UTF-8 text: {error}", field="source") from error


def _header(source: Path, header: list[str], columns: Sequence[str]) -> list[str]:
    names = [name.strip() for name in header]
    if sorted(names) != sorted(columns):
        raise InvalidInput(
            f"{source.name}: the CSV header must name the columns {','.join(columns)} "
            f"(found {','.join(names)})",
            field="source",
        )
    return names
