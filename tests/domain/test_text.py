"""Text and free-form JSON: only what an answer can carry goes in, and whatever an older
version stored comes out servable."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.text import (
    check_json_document,
    servable_json,
    servable_text,
    unicode_problem,
)


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def test_a_lone_surrogate_is_not_unicode_and_a_pair_is() -> None:
    lone = json.loads('"a\\ud800"')
    assert "U+D800" in (unicode_problem(lone) or "")
    assert unicode_problem(json.loads('"\\ud83d\\ude00"')) is None
    assert servable_text(lone) == "a\\ud800"  # the escape as visible text
    assert servable_text("fine") == "fine"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"a": json.loads('"\\udfff"')}, "value at a is not valid Unicode"),
        ({json.loads('"\\ud800"'): 1}, "key '\\ud800' at the top is not valid Unicode"),
        ({"a": {"b": [float("nan")]}}, "value at a.b[0] is nan"),
        ({"a": float("inf")}, "is inf"),
        ({"a": nested(16)}, "nests deeper than 16 levels"),
        ({"a": object()}, "is not JSON"),
    ],
)
def test_what_an_answer_cannot_carry_is_named(document: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError, match=None) as refused:
        check_json_document(document, max_depth=16)
    assert reason in str(refused.value)


def test_hostile_nesting_does_not_exhaust_the_stack() -> None:
    check_json_document({"a": nested(15)}, max_depth=16)
    with pytest.raises(ValueError, match="deeper"):
        check_json_document(nested(100_000), max_depth=16)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), JSON_VALUES))
def test_valid_documents_pass_and_come_back_unchanged(document: dict[str, Any]) -> None:
    check_json_document(document, max_depth=1_000)
    stored = json.dumps(document)
    assert servable_json(stored, max_depth=1_000) == json.loads(stored)


def test_a_stored_document_that_was_never_servable_is_served() -> None:
    """Written by an older version: 300 levels deep (past the response serializer's
    recursion limit), a lone surrogate, NaN; every answer that held it was a 500."""
    stored = json.dumps({"deep": nested(300), "s": json.loads('"\\ud800"'), "n": float("nan")})
    served = servable_json(stored, max_depth=16)
    assert served["s"] == "\\ud800" and served["n"] == "NaN"
    level = served["deep"]
    for _ in range(15):
        level = level[0]
    assert isinstance(level, str) and json.loads(level) == nested(300 - 15)
    json.dumps(served, ensure_ascii=False).encode("utf-8")  # an answer can carry it
    assert servable_json("not json", max_depth=16) is None
    assert servable_json("[" * 100_000, max_depth=16) is None
