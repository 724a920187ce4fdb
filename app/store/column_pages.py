"""Exports read as pages of columns: each page is one record holding a list (Neo4j) or one
space-separated string (FalkorDB) per column, so a million values cost a few decodes instead
of a record each. A page says where the next starts (`next`, null after the last): Neo4j
pages follow an id index, FalkorDB's internal id ranges below a ceiling."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from typing import Any

Record = dict[str, Any]


def column_pages(
    read: Callable[[str, Record], list[Record]], name: str, page: int, ceiling: Any
) -> Iterator[tuple[Any, Record]]:
    """Every page of the export `name`, each with where it started (`after`)."""
    after: Any = None
    while True:
        record = read(name, {"after": after, "page": page, "ceiling": ceiling})[0]
        yield after, record
        after = record["next"]
        if after is None:
            return


def texts(column: list[str | None] | str, count: int) -> list[str]:
    """A column of ids as a list ('' for none): a list as Neo4j sends it, or FalkorDB's one
    string of space-separated values (ids hold no whitespace)."""
    if isinstance(column, str):
        values = column.split(" ") if count else []
    else:
        values = ["" if value is None else value for value in column]
    if len(values) != count:
        raise ValueError(f"an export page said {count} values and held {len(values)}")
    return values


def integers(column: list[int] | str, count: int) -> array[int]:
    """A column of integers as machine integers, from a list or a space-separated string."""
    if not isinstance(column, str):
        values = array("q", column)
    else:
        values = array("q", map(int, column.split(" ")) if count else ())
    if len(values) != count:
        raise ValueError(f"an export page said {count} values and held {len(values)}")
    return values
