"""Reading an import CSV: one record per line, numbered by that line, its fields by column,
and every line that cannot be read reported, while the lines after it are still read.

A record never spans lines. The csv module lets a quoted field run over line breaks, so one
stray `"` made it swallow every later line into one field (500 rows of 1,001 lost, one
problem reported); and the file was decoded as a whole, so one byte that is not UTF-8
refused all of it. Here each line is decoded and parsed on its own."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

from app.core.errors import InvalidInput

CsvRecord = tuple[int, dict[str, str | None] | str]
QUOTE_RUNS_PAST_LINE = (
    'a quoted field runs past the end of its line (a " that is never closed; '
    "a field may not hold a line break)"
)


def csv_records(source: Path, columns: Sequence[str]) -> Iterator[CsvRecord]:
    """Each record with its line number: its fields by column (empty as None), or why it
    could not be read. The header must name exactly `columns`, in any order."""
    with source.open("rb") as handle:
        names: list[str] | None = None
        for line, raw in enumerate(handle, start=1):
            text = _decoded(raw, first=line == 1)
            if names is None:
                if isinstance(text, UnicodeDecodeError):
                    raise InvalidInput(
                        f"{source.name}: the header line is not UTF-8 text ({text.reason})",
                        field="source",
                    )
                if not text.strip():
                    continue  # blank lines before the header
                header = _fields(text)
                if isinstance(header, str):
                    raise InvalidInput(f"{source.name}: the header: {header}", field="source")
                names = _header(source, header, columns)
                continue
            if isinstance(text, UnicodeDecodeError):
                yield (
                    line,
                    (
                        f"not UTF-8 text: byte 0x{text.object[text.start]:02x} at column "
                        f"{text.start + 1} ({text.reason})"
                    ),
                )
                continue
            if not text.strip():
                continue
            record = _fields(text)
            if isinstance(record, str):
                yield line, record
            elif len(record) != len(names):
                yield line, f"expected {len(names)} columns, found {len(record)}"
            else:
                yield line, {name: value or None for name, value in zip(names, record, strict=True)}


def _decoded(raw: bytes, *, first: bool) -> str | UnicodeDecodeError:
    """The line as text without its line break (a BOM dropped from the first), or why not."""
    if first and raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as error:
        return error


def _fields(text: str) -> list[str] | str:
    """The fields of one line, or why they cannot be read."""
    if '"' not in text and "\0" not in text:
        return text.split(",")  # the common case, and what csv makes of such a line
    try:
        # strict: a quote left open at the end of the line is an error, not a field that
        # quietly takes the rest of the line.
        return next(csv.reader([text], strict=True))
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            return QUOTE_RUNS_PAST_LINE
        return f"unreadable CSV: {error}"


def _header(source: Path, header: list[str], columns: Sequence[str]) -> list[str]:
    names = [name.strip() for name in header]
    if sorted(names) != sorted(columns):
        raise InvalidInput(
            f"{source.name}: the CSV header must name the columns {','.join(columns)} "
            f"(found {','.join(names)})",
            field="source",
        )
    return names
