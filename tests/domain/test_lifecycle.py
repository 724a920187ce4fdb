"""The pure rules of lifecycle changes: JSON merge patch (RFC 7386's own examples), what an
edit changed, and the ids of keys and requests."""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.lifecycle import MemberPatch, changed_paths, key_id, merge_patch

# RFC 7386, Appendix A: (target, patch, result).
RFC_EXAMPLES: list[tuple[Any, Any, Any]] = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "result"), RFC_EXAMPLES)
def test_merge_patch_follows_rfc_7386(target: Any, patch: Any, result: Any) -> None:
    assert merge_patch(target, patch) == result


def test_an_edit_names_what_changed_never_the_values() -> None:
    before = ("Ann", {"city": "Hangzhou", "kids": 1})
    after = ("Ann", {"kids": 2, "pet": "cat"})
    assert changed_paths(before, after) == ["attributes.city", "attributes.kids", "attributes.pet"]
    assert changed_paths(("Ann", None), (None, None)) == ["name"]
    assert changed_paths(before, before) == []


def test_a_request_is_the_same_request_only_with_the_same_fields() -> None:
    same = MemberPatch(change_id="c", name="Ann").fingerprint()
    assert MemberPatch.model_validate({"name": "Ann", "change_id": "c"}).fingerprint() == same
    # Leaving the name out is not the same request as removing it.
    assert (
        MemberPatch(change_id="c").fingerprint()
        != MemberPatch(change_id="c", name=None).fingerprint()
    )


def test_a_key_id_is_stable_and_not_the_key() -> None:
    assert key_id("secret-key") == key_id("secret-key") != key_id("other-key")
    assert "secret" not in key_id("secret-key") and len(key_id("secret-key")) == 12
