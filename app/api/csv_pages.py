"""Every list route answers as CSV too (`Accept: text/csv`): the page's rows, nested fields
flattened to dotted columns, for the spreadsheet a finance or growth team opens. The next
page's cursor travels in `X-Next-Cursor`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

from fastapi import Request, Response
from pydantic import BaseModel

PageT = TypeVar("PageT", bound=BaseModel)
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection): such a
# text cell is written with a leading apostrophe, which they show as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel reads a UTF-8 file as the machine's legacy code page unless it starts with a BOM,
# which turns Chinese names into mojibake; every CSV reader skips it (Python: utf-8-sig).
BOM = "\ufeff"
CSV_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "With `Accept: text/csv`: the page's rows as CSV (UTF-8 with a BOM), "
        "nested fields as dotted columns; the next page's cursor in `X-Next-Cursor`",
    }
}


def wants_csv(request: Request) -> bool:
    """The client asked for CSV (`Accept: text/csv`, alone or among others)."""
    accept = request.headers.get("accept", "")
    return any(part.split(";")[0].strip().lower() == "text/csv" for part in accept.split(","))


def page_or_csv(
    request: Request, page: PageT, *, rows: str = "items", name: str
) -> PageT | Response:
    """`page` as the route's JSON, or, when CSV was asked for, its `rows` as a CSV file
    named `name`.csv."""
    if not wants_csv(request):
        return page
    document = page.model_dump(mode="json", by_alias=True)
    items = [item if isinstance(item, dict) else {"value": item} for item in document[rows]]
    headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
    if document.get("next_cursor"):
        headers["X-Next-Cursor"] = document["next_cursor"]
    item_type = get_args(type(page).model_fields[rows].annotation)
    known = _columns_of(item_type[0]) if item_type else ["value"]
    return Response(content=rows_as_csv(items, known), media_type=CSV_MEDIA_TYPE, headers=headers)


def rows_as_csv(rows: Sequence[Mapping[str, Any]], known: Sequence[str] = ()) -> str:
    """CSV text of `rows`: the `known` columns first (a page with no rows still has its
    header), then any other in the order it first appears (the keys of a free-form map)."""
    flat = [_flatten(row) for row in rows]
    columns: dict[str, None] = dict.fromkeys(known)
    for row in flat:
        columns.update(dict.fromkeys(row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if columns:
        writer.writerow(columns)
    for row in flat:
        writer.writerow(_cell(row.get(column)) for column in columns)
    return BOM + out.getvalue()


def _columns_of(item: Any, prefix: str = "") -> list[str]:
    """The dotted columns a model's fields give (a scalar item: one `value` column); maps
    whose keys are data are left to the rows."""
    if not _is_model(item):
        return ["value"]
    columns: list[str] = []
    for field_name, info in item.model_fields.items():
        column = f"{prefix}{info.serialization_alias or field_name}"
        annotation = info.annotation
        # A model, or a model or None: its fields are columns; a list of them is one cell.
        options = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else ()
        nested = [a for a in (annotation, *options) if _is_model(a)]
        if nested:
            columns += _columns_of(nested[0], column + ".")
        elif get_origin(annotation) in (dict, Mapping):
            continue
        else:
            columns.append(column)
    return columns


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _flatten(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
