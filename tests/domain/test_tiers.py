"""The tier ladder: what a count earns and what the next step needs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.domain.tiers import DEFAULT_LADDER


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
