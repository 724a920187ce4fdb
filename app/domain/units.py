"""The units every domain module shares: times and money. No imports from the domain."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import BeforeValidator, Field, StringConstraints, WithJsonSchema

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)
_DIGITS = re.compile(r"-?\d+")


def iso_epoch_ms(text: str, *, naive_is_utc: bool = False) -> int:
    """Epoch milliseconds of an ISO-8601 time. A time without a zone is refused unless
    `naive_is_utc` (files whose dates carry no zone are read as UTC; API clients must say)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is neither epoch milliseconds nor an ISO-8601 time") from None
    if moment.tzinfo is None:
        if not naive_is_utc:
            raise ValueError(
                f"{text!r} has no zone: add one (Z, +08:00) or send epoch milliseconds"
            )
        moment = moment.replace(tzinfo=UTC)
    # Integer arithmetic on timedeltas: a float timestamp could be off by 1 ms.
    return (moment - EPOCH) // MILLISECOND


def _epoch_ms(value: object) -> object:
    """Strings become epoch ms (digits, or ISO-8601 with a zone); anything else is left to
    the integer checks."""
    if isinstance(value, str):
        text = value.strip()
        return int(text) if _DIGITS.fullmatch(text) else iso_epoch_ms(text)
    return value


# Accepted as epoch ms or ISO-8601 with a zone; stored and answered as epoch ms.
EpochMs = Annotated[
    int,
    BeforeValidator(_epoch_ms),
    Field(ge=0, le=253_402_300_799_999),  # up to year 9999
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": 253_402_300_799_999},
                {"type": "string", "format": "date-time"},
            ],
            "description": "epoch milliseconds, or an ISO-8601 time with a zone",
        },
        mode="validation",
    ),
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]  # ISO 4217
