"""Member input: the id pattern the OpenAPI document publishes is the one the code enforces,
character for character; attributes that could not be served back are refused."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from app.domain.members import (
    MAX_ID_LENGTH,
    Member,
    MemberCreate,
    MemberId,
    MemberRecord,
)
from app.domain.text import MAX_ATTRIBUTES_DEPTH

ENFORCED = TypeAdapter(MemberId)


def accepted(value: str) -> bool:
    try:
        ENFORCED.validate_python(value)
    except ValidationError:
        return False
    return True


def published_pattern() -> str:
    pattern: str = MemberCreate.model_json_schema()["properties"]["id"]["pattern"]
    return pattern


def test_the_published_id_pattern_is_the_enforced_one() -> None:
    """Clients generate ids from the document (ECMA-262 regex); the code enforced `\\s` in
    Rust's dialect, where U+0085 is whitespace and in ECMA-262 it is not: ids the document
    allowed were refused. Only \\xHH and \\uHHHH escapes now, read alike by Python, Rust and
    ECMA-262: every character is judged the same by the document and the code."""
    pattern = published_pattern()
    assert "\\s" not in pattern
    document = re.compile(pattern)
    differ = [
        hex(code)
        for code in range(0x110000)
        if not 0xD800 <= code <= 0xDFFF
        and bool(document.fullmatch("a" + chr(code))) != accepted("a" + chr(code))
    ]
    assert differ == []
    assert accepted("x" * MAX_ID_LENGTH) and not accepted("x" * (MAX_ID_LENGTH + 1))
    for refused in ("a\x85", "a b", "a/b", "\u3000", "a\x00", ""):
        assert not accepted(refused) and not document.fullmatch(refused)


@pytest.mark.parametrize(
    "text",
    [
        '{"id": "a\\ud800"}',
        '{"id": "a", "name": "\\udfff"}',
        '{"id": "a", "inviter_id": "\\ud800"}',
    ],
)
def test_strings_must_be_unicode(text: str) -> None:
    with pytest.raises(ValidationError, match="not valid Unicode"):
        MemberCreate.model_validate(json.loads(text))


def nested(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth - 1):
        value = {"x": value}
    return value


def test_attributes_are_capped_in_depth_and_size() -> None:
    MemberCreate(id="a", attributes=nested(MAX_ATTRIBUTES_DEPTH))
    with pytest.raises(ValidationError, match="deeper than"):
        MemberCreate(id="a", attributes=nested(MAX_ATTRIBUTES_DEPTH + 1))
    with pytest.raises(ValidationError, match="8192 bytes"):
        MemberCreate(id="a", attributes={"x": "y" * 8192})
    with pytest.raises(ValidationError, match="not a JSON number"):
        MemberCreate.model_validate(json.loads('{"id": "a", "attributes": {"x": NaN}}'))


def test_a_member_stored_with_what_is_refused_now_is_served() -> None:
    record = MemberRecord(
        id="old",
        inviter_id=None,
        name="Ann\ud800",
        joined_at=0,
        paid_at=None,
        attributes_json=json.dumps({"deep": nested(300), "s": "\ud800", "n": float("inf")}),
        depth=0,
        tier="bee",
        tier_since=0,
        downline_total=0,
        downline_paid=0,
        levels_total=[0] * 10,
        levels_paid=[0] * 10,
    )
    served = Member.from_record(record)
    assert served.name == "Ann\\ud800"
    assert served.attributes is not None and served.attributes["n"] == "Infinity"
    served.model_dump_json()  # what the API sends
