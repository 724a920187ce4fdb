"""Search keys and prefix ranges: a key starts with a query's key exactly when it sorts in
the query's range, for any text (the property the index seek relies on)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.domain.search import MemberHit, prefix_range, search_key, search_key_fields, sort_value

# Text as members type it: letters of any script, digits, a few marks and the extremes of
# the code space (the range's upper bound must step over surrogates and U+10FFFF).
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc")),
        st.sampled_from(["\ud7ff", "\ue000", "\U0010ffff", "ß", "ẞ", "Σ", "王", "\uff21"]),
    ),
    min_size=1,
    max_size=8,
)


@given(TEXT, TEXT)
def test_a_key_is_in_the_range_exactly_when_it_starts_with_the_query(text: str, q: str) -> None:
    key = search_key(text)
    low, high = prefix_range(q)
    in_range = low <= key and (high is None or key < high)
    assert in_range == key.startswith(search_key(q))


@given(TEXT)
def test_a_text_is_found_by_every_prefix_of_its_key(text: str) -> None:
    key = search_key(text)
    for end in range(1, len(key) + 1):
        low, high = prefix_range(key[:end])
        assert low <= key and (high is None or key < high)


def test_keys_fold_case_and_width_as_people_type() -> None:
    assert search_key("\uff21\uff22c") == search_key("abC") == "abc"
    assert search_key("Straße") == "strasse"
    assert search_key("王芳") == "王芳"
    assert prefix_range("\U0010ffff") == ("\U0010ffff", None)
    assert prefix_range("a\U0010ffff") == ("a\U0010ffff", "b")
    assert prefix_range("\ud7ff")[1] == "\ue000"  # never a surrogate


def test_a_member_without_a_name_has_only_her_id_key() -> None:
    assert search_key_fields("M1", None) == {"member_id": "M1", "id_key": "m1", "name_key": None}


def test_descending_orders_sort_the_negated_value() -> None:
    hit = MemberHit(
        id="a", inviter_id=None, name=None, joined_at=5, paid_at=None, tier="bee",
        direct_total=1, downline_total=7, paid_direct_invites=2,
    )  # fmt: skip
    assert [sort_value(hit, s) for s in ("id", "joined_at", "-downline_total")] == [0, 5, -7]
    assert sort_value(hit, "-paid_direct_invites") == -2
