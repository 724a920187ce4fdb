"""Pydantic's errors as a person reads them: where, then why, without pydantic's own text."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from app.core.validation import readable, validation_lines
from tests.api.test_error_messages import unreadable


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: int
    tags: list[str] = []

    @field_validator("start")
    @classmethod
    def positive(cls, value: int) -> int:
        if value < 0:
            raise ValueError("start must not be negative")
        return value


def refusal(payload: object) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        Window.model_validate(payload)
    return refused.value


def test_a_validation_error_reads_as_where_and_why() -> None:
    error = refusal({"start": -1, "tags": ["a", 2], "colour": "red"})
    assert unreadable(str(error)) != []  # pydantic's own text: what this module replaces
    assert validation_lines(error.errors()) == [
        "start: start must not be negative",  # no "Value error, "
        "tags.1: Input should be a valid string",
        "colour: Extra inputs are not permitted",
    ]
    assert readable(error) == "; ".join(validation_lines(error.errors()))
    assert unreadable(readable(error)) == []


def test_an_error_about_the_whole_input_is_only_its_reason() -> None:
    assert readable(refusal([])) == "Input should be a valid dictionary or instance of Window"


def test_json_that_does_not_parse_says_so() -> None:
    with pytest.raises(ValidationError) as refused:
        Window.model_validate_json('{"start": ')
    assert (
        readable(refused.value) == "not valid JSON (EOF while parsing a value at line 1 column 10)"
    )
    # FastAPI's own: located at a character, said as "JSON decode error".
    fastapi_error = {"type": "json_invalid", "loc": ("body", 13), "msg": "JSON decode error",
                     "ctx": {"error": "Expecting value"}}  # fmt: skip
    assert validation_lines([fastapi_error]) == ["body: not valid JSON (Expecting value)"]


def test_any_other_exception_reads_as_its_text_or_its_type() -> None:
    assert readable(ValueError("the ladder needs a step")) == "the ladder needs a step"
    assert readable(KeyError()) == "KeyError"
