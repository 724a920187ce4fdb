"""The tier ladder: what a count earns and what the next step needs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.domain.tiers import (
    DEFAULT_LADDER,
    PaidSpan,
    TierLadder,
    TierStamp,
    TierStep,
    history_corrections,
    invitee_spans,
    known_changes,
    tier_reached,
    tier_steps,
)


@given(st.integers(min_value=0, max_value=10_000))
def test_the_tier_is_the_highest_step_reached(paid: int) -> None:
    held = DEFAULT_LADDER.tier_for(paid)
    reached = [s for s in DEFAULT_LADDER.steps if s.min_paid_invites <= paid]
    assert held == reached[-1].tier
    nxt = DEFAULT_LADDER.next_step(paid)
    assert nxt is None or (
        nxt.min_paid_invites > paid and DEFAULT_LADDER.tier_for(nxt.min_paid_invites) == nxt.tier
    )


def test_phoenix_needs_more_than_fifty() -> None:
    assert [DEFAULT_LADDER.tier_for(n) for n in (0, 4, 5, 19, 20, 50, 51)] == [
        "bee", "bee", "butterfly", "butterfly", "peacock", "peacock", "phoenix",
    ]  # fmt: skip
    assert DEFAULT_LADDER.next_step(51) is None


SHORT = TierLadder(
    steps=(
        TierStep(tier="bee", min_paid_invites=0),
        TierStep(tier="butterfly", min_paid_invites=1),
        TierStep(tier="peacock", min_paid_invites=2),
    )
)


def test_a_floor_restarts_the_history_from_its_moment() -> None:
    changes = [TierStamp(10, 1, "butterfly"), TierStamp(20, 2, "peacock")]
    assert tier_reached(changes, SHORT) == "peacock"
    # A step down at 30: from then on exactly butterfly, whatever came before.
    stepped = [*changes, TierStamp(30, 3, "butterfly", floor=True)]
    assert tier_reached([c for c in stepped if c.at <= 25], SHORT) == "peacock"
    assert tier_reached(stepped, SHORT) == "butterfly"
    # A floor written later at the same moment as an older change wins over it.
    assert tier_reached([*stepped, TierStamp(20, 4, "bee", floor=True)], SHORT) == "butterfly"
    assert tier_reached([TierStamp(20, 2, "peacock"), TierStamp(20, 4, "bee", True)], SHORT) == (
        "bee"
    )


def test_spans_of_an_invitee_are_where_her_edge_and_her_paid_mark_overlap() -> None:
    # Edge 10..50; paid 5..20 (undone), then again from 40.
    assert invitee_spans(10, 50, 40, [5], [20]) == [PaidSpan(10, 20), PaidSpan(40, 50)]
    assert invitee_spans(10, None, None, [], []) == []
    assert invitee_spans(10, 20, 30, [], []) == []  # paid after the edge ended


def truth(spans: list[PaidSpan], at: int) -> str:
    return SHORT.tier_for(
        sum(1 for s in spans if s.since <= at and (s.until is None or at < s.until))
    )


span = st.builds(
    lambda since, length: PaidSpan(since, None if length is None else since + length),
    st.integers(0, 40),
    st.one_of(st.none(), st.integers(0, 20)),
)


@given(st.lists(st.lists(span, max_size=5), min_size=1, max_size=6))
def test_appended_corrections_tell_each_truth_and_keep_the_past_of_each_version(
    truths: list[list[PaidSpan]],
) -> None:
    """Her spans change several times (paid marks, undos, moves, each a new truth); after
    each, the corrections appended make the history give that truth at every moment, and
    an earlier version (what an earlier price read) still reads as it did."""
    changes: list[TierStamp] = []
    versions: list[tuple[int, list[str]]] = []
    moments = range(-1, 70)
    for spans in truths:
        appended = history_corrections(tier_steps(spans, SHORT), changes, SHORT)
        assert [c.seq for c in appended] == list(
            range(len(changes) + 1, len(changes) + 1 + len(appended))
        )
        changes += [TierStamp(c.at, c.seq, c.tier, floor=True) for c in appended]
        for at in moments:
            assert tier_reached([c for c in changes if c.at <= at], SHORT) == truth(spans, at)
        assert history_corrections(tier_steps(spans, SHORT), changes, SHORT) == []
        versions.append((len(changes), [truth(spans, at) for at in moments]))
    for seq, read in versions:
        known = known_changes(changes, seq)
        assert [tier_reached([c for c in known if c.at <= at], SHORT) for at in moments] == read
