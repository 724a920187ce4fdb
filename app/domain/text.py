"""Text and free-form JSON that the service stores and serves back. On the way in, only what
every answer can carry: valid Unicode (Python's JSON reader turns an escaped lone surrogate,
"\\ud800", into a string that cannot be encoded as UTF-8), finite numbers, bounded nesting.
On the way out, whatever an older version stored is made servable instead of failing every
answer that holds it. No imports from the domain."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

from pydantic import BeforeValidator

# Member attributes: a small document of the storefront's own, not a data store.
MAX_ATTRIBUTES_BYTES = 8192
# Nesting levels of attributes, the attributes object itself being level 1. Deep nesting
# was written and then failed every read (the response serializer's recursion limit).
MAX_ATTRIBUTES_DEPTH = 16


def unicode_problem(text: str) -> str | None:
    """Why `text` is not valid Unicode text (None: it is)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        found = text[error.start]
        return (
            f"is not valid Unicode: a lone surrogate (U+{ord(found):04X}) at position {error.start}"
        )
    return None


def require_unicode(value: object) -> object:
    """A string that is valid Unicode, or anything else (left to the type's own checks)."""
    if isinstance(value, str):
        problem = unicode_problem(value)
        if problem is not None:
            raise ValueError(f"the text {problem}")
    return value


# Refuses a string that cannot be stored and served back as UTF-8, before the type's own
# checks (a constrained string refuses a lone surrogate too, but saying "unable to parse raw
# data as a unicode string"). Put it after any StringConstraints in an Annotated: placed
# before them, pydantic leaves their pattern out of the JSON schema.
VALID_UNICODE = BeforeValidator(require_unicode)
UnicodeStr = Annotated[str, VALID_UNICODE]


def check_json_document(value: Any, *, max_depth: int) -> None:
    """Raises ValueError naming the first place (a JSON path below the document) where
    `value` holds something an answer cannot carry: a lone surrogate in a key or a string,
    a non-finite number (Python's JSON reader accepts NaN, Infinity and 1e999), nesting
    deeper than `max_depth`. Iterative: a hostile document must not exhaust the stack."""
    pending: list[tuple[Any, str, int]] = [(value, "", 1)]
    while pending:
        item, path, depth = pending.pop()
        if isinstance(item, dict | list) and depth > max_depth:
            raise ValueError(f"nests deeper than {max_depth} levels (at {path or 'the top'})")
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise ValueError(f"has a key that is not a string at {path or 'the top'}")
                problem = unicode_problem(key)
                if problem is not None:
                    raise ValueError(f"key {key!a} at {path or 'the top'} {problem}")
                pending.append((child, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(item, list):
            pending.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
        elif isinstance(item, str):
            problem = unicode_problem(item)
            if problem is not None:
                raise ValueError(f"value at {path or 'the top'} {problem}")
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"value at {path or 'the top'} is {item}, not a JSON number")
        elif item is not None and not isinstance(item, bool | int | float):
            raise ValueError(f"value at {path or 'the top'} is not JSON")


def servable_text(text: str) -> str:
    """`text` with any lone surrogate written out as its escape (`\\ud800`), so that a value
    stored before it was refused can still be answered, visibly."""
    if unicode_problem(text) is None:
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def servable_json(document: str, *, max_depth: int) -> Any:
    """A stored JSON document as an answer can carry it: strings and keys through
    `servable_text`; a non-finite number, or a container deeper than `max_depth`, as its
    JSON text (a string). None when the text is not JSON at all."""
    try:
        value = json.loads(document)
    except (ValueError, RecursionError):
        return None
    return _servable(value, 1, max_depth)


def _servable(value: Any, depth: int, max_depth: int) -> Any:
    if isinstance(value, dict | list) and depth > max_depth:
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, dict):
        return {
            servable_text(key): _servable(child, depth + 1, max_depth)
            for key, child in value.items()
        }
    if isinstance(value, list):
        return [_servable(child, depth + 1, max_depth) for child in value]
    if isinstance(value, str):
        return servable_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(value)
    return value
