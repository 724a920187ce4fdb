"""Times as clients send them: in a JSON body an integer of epoch ms or an ISO-8601 string
with a zone and nothing else; in a query string digits or ISO-8601 with a zone."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import Field, TypeAdapter, ValidationError

from app.domain.units import (
    MAX_EPOCH_MS,
    MINOR_UNITS,
    EpochMs,
    EpochMsQuery,
    iso_epoch_ms,
    iso_moment,
)

BODY = TypeAdapter(EpochMs)
QUERY = TypeAdapter(EpochMsQuery)


@pytest.mark.parametrize(
    "value",
    [
        False,  # was epoch 0: a paid mark on 1970-01-01
        True,
        1.0,
        1.5,
        "1700000000000",  # digits in a string: the client's bug, not ours to guess
        "2026-01-05T18:00:00",  # no zone
        "next tuesday",
        -1,
        MAX_EPOCH_MS + 1,
        "1969-12-31T23:59:59Z",
        "9" * 5_000,
        None,
    ],
)
def test_a_body_time_is_an_integer_or_an_iso_time_with_a_zone(value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        BODY.validate_python(value)
    assert len(str(refused.value)) < 1_000  # a 5,000-digit input is not echoed back


def test_body_times_accepted() -> None:
    assert BODY.validate_python(0) == 0
    assert BODY.validate_python(1_767_607_200_000) == 1_767_607_200_000
    assert BODY.validate_python("2026-01-05T18:00:00+08:00") == 1_767_607_200_000
    assert BODY.validate_python("2026-01-05T10:00:00z") == 1_767_607_200_000
    # RFC 3339 leap second: the start of the next second.
    assert BODY.validate_python("2016-12-31T23:59:60Z") == iso_epoch_ms("2017-01-01T00:00:00Z")


def test_a_query_time_is_digits_or_an_iso_time_with_a_zone() -> None:
    assert QUERY.validate_python("1700000000000") == 1_700_000_000_000
    assert QUERY.validate_python("2026-01-05T18:00:00+08:00") == 1_767_607_200_000
    for refused in ("true", "1.5", "-1", "9" * 5_000, "2026-01-05", "1969-01-01T00:00:00Z"):
        with pytest.raises(ValidationError):
            QUERY.validate_python(refused)


def test_the_schema_says_what_is_accepted() -> None:
    for adapter in (BODY, QUERY):
        integer, text = adapter.json_schema()["anyOf"]
        assert integer == {"type": "integer", "minimum": 0, "maximum": MAX_EPOCH_MS}
        assert text["format"] == "date-time" and text["pattern"].startswith("^(19[7-9]")


def test_files_may_carry_naive_times_read_as_utc() -> None:
    assert iso_epoch_ms("1970-01-01T00:00:01", naive_is_utc=True) == 1_000
    with pytest.raises(ValueError, match="no zone"):
        iso_epoch_ms("1970-01-01T00:00:01")


def test_a_moment_in_a_message_is_an_iso_utc_time() -> None:
    assert iso_moment(1_767_225_600_000) == "2026-01-01T00:00:00Z"
    assert iso_moment(1_767_225_600_123) == "2026-01-01T00:00:00.123Z"
    assert iso_moment(0) == "1970-01-01T00:00:00Z"
    assert iso_moment(MAX_EPOCH_MS) == "9999-12-31T23:59:59.999Z"
    # Past the calendar (an open upper bound of 2**62): no crash, and still no bare number.
    assert iso_moment(2**62) == f"{2**62} ms from 1970-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(12.5, "12.5"), ("1250", "'1250'"), (True, "true"), (None, "null"), ([1], "a list")],
)
def test_a_decimal_amount_is_told_amounts_are_integer_minor_units(
    value: object, shown: str
) -> None:
    amount = TypeAdapter(Annotated[int, Field(strict=True, gt=0), MINOR_UNITS])
    with pytest.raises(ValidationError) as refused:
        amount.validate_python(value)
    [error] = refused.value.errors()
    assert error["type"] == "int_type"  # pydantic's own, as before: only the words changed
    assert error["msg"] == (
        f"{shown} is not an amount: amounts are integers of minor units (fen, cents), "
        "e.g. 1250 for 12.50"
    )
    assert amount.validate_python(1250) == 1250
    assert amount.json_schema() == {"type": "integer", "exclusiveMinimum": 0}  # unchanged


@pytest.mark.parametrize(
    ("value", "shown"),
    [(True, "true"), (1.5, "1.5"), (0.0, "0.0"), (None, "null"), ({}, "an object")],
)
def test_a_time_that_is_no_integer_is_told_what_a_time_is(value: object, shown: str) -> None:
    with pytest.raises(ValidationError) as refused:
        BODY.validate_python(value)
    assert refused.value.errors()[0]["msg"] == (
        "a time is epoch milliseconds (a JSON integer) or an ISO-8601 time with a zone, "
        f"not {shown}"
    )
