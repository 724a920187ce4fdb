"""Pydantic's validation errors as a person reads them, in a problem's `detail`, an import
problem or a CLI line: where, then why, one pair per error. `str(ValidationError)` is for
developers ("1 validation error for TierLadder … [type=value_error, input_value=…]
For further information visit https://errors.pydantic.dev/…"), and leaked into answers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

# Pydantic puts these before the message of an error a validator raised.
_PREFIXES = ("Value error, ", "Assertion failed, ")


def error_message(error: Mapping[str, Any]) -> str:
    """One error's reason: our validators' own sentences without pydantic's "Value error, ",
    and a body that is no JSON said so (FastAPI's message is "JSON decode error")."""
    message = str(error.get("msg", ""))
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    if error.get("type") == "json_invalid":
        why = (error.get("ctx") or {}).get("error")
        return f"not valid JSON ({why})" if why else "not valid JSON"
    return message


def error_path(error: Mapping[str, Any]) -> list[Any]:
    """The path to the value (`["body", "rules", 0, "rate_bp"]`). A JSON body that cannot
    be parsed is located at a character position, not at a field: `["body"]`."""
    location: Sequence[Any] = error.get("loc", ())
    return list(location[:1] if error.get("type") == "json_invalid" else location)


def error_location(error: Mapping[str, Any], *, skip: int = 0) -> str:
    """`body.rules.0.rate_bp`: the path after its first `skip` parts."""
    return ".".join(str(part) for part in error_path(error)[skip:])


def validation_lines(errors: Iterable[Mapping[str, Any]], *, skip: int = 0) -> list[str]:
    """`where: why` for each error, or only `why` for an error about the whole input."""
    lines = []
    for error in errors:
        where = error_location(error, skip=skip)
        why = error_message(error)
        lines.append(f"{where}: {why}" if where else why)
    return lines


def validation_summary(errors: Iterable[Mapping[str, Any]], *, skip: int = 0) -> str:
    """The errors on one line: `where: why; where: why`."""
    return "; ".join(validation_lines(errors, skip=skip))


def readable(error: BaseException) -> str:
    """An exception as a message shows it: a validation error summarised, any other by its
    own text (its type's name when it has none)."""
    if isinstance(error, ValidationError):
        return validation_summary(error.errors(include_url=False))
    return str(error) or type(error).__name__
