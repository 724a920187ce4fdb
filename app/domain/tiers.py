"""The honour-tier ladder (bee → butterfly → peacock → phoenix) and what a count of paid
direct invites earns on it. Pure rules: no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise
from typing import NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TierStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    tier: str = Field(min_length=1, max_length=40)
    # Strict: a count is an integer; "5", 5.0 or true in a what-if ladder is a client bug.
    min_paid_invites: int = Field(ge=0, strict=True)


class TierLadder(BaseModel):
    """Steps in increasing order; a member holds the highest tier whose threshold she reaches."""

    model_config = ConfigDict(frozen=True)

    steps: tuple[TierStep, ...]

    @model_validator(mode="after")
    def strictly_increasing(self) -> TierLadder:
        if not self.steps:
            raise ValueError("a tier ladder needs at least one step")
        if self.steps[0].min_paid_invites != 0:
            raise ValueError("the first tier must start at 0 paid invites (every member holds one)")
        thresholds = [step.min_paid_invites for step in self.steps]
        if any(b <= a for a, b in pairwise(thresholds)):
            raise ValueError("tier thresholds must be strictly increasing")
        names = [step.tier for step in self.steps]
        if len(set(names)) != len(names):
            raise ValueError("tier names must be unique")
        return self

    @property
    def base_tier(self) -> str:
        return self.steps[0].tier

    def tier_for(self, paid_direct_invites: int) -> str:
        held = self.steps[0]
        for step in self.steps:
            if paid_direct_invites >= step.min_paid_invites:
                held = step
        return held.tier

    def next_step(self, paid_direct_invites: int) -> TierStep | None:
        return next(
            (step for step in self.steps if step.min_paid_invites > paid_direct_invites), None
        )

    def as_params(self) -> list[dict[str, object]]:
        """The ladder as a Cypher parameter: the store statements evaluate tiers with it."""
        return [step.model_dump() for step in self.steps]


class TierStamp(NamedTuple):
    """One recorded tier change: from `at` on she holds at least `tier`; `seq` orders the
    changes as they were written (a history's version)."""

    at: int
    seq: int
    tier: str


def tier_reached(changes: Iterable[tuple[int, int, str]], ladder: TierLadder) -> str:
    """The tier `changes` (at, seq, tier) say she holds: the highest one reached. Paid marks
    are never undone, so tiers only rise; a late paid mark records an earlier crossing
    beside the one it corrects, and the highest tier still wins (the base tier before any)."""
    rank = {step.tier: index for index, step in enumerate(ladder.steps)}
    reached = [tier for _, _, tier in changes if tier in rank]
    return max(reached, key=rank.__getitem__, default=ladder.base_tier)


Stamp = TypeVar("Stamp", bound=tuple[int, int, str])


def known_changes(changes: Iterable[Stamp], known_seq: int | None) -> list[Stamp]:
    """The changes recorded by the time her history stood at `known_seq` (None: all of
    them): what a ledger entry written then was priced with."""
    return [change for change in changes if known_seq is None or change[1] <= known_seq]


# Phoenix needs "more than 50" invited friends (the source); the lower thresholds are not
# published, so these are our defaults, overridable in configuration.
DEFAULT_LADDER = TierLadder(
    steps=(
        TierStep(tier="bee", min_paid_invites=0),
        TierStep(tier="butterfly", min_paid_invites=5),
        TierStep(tier="peacock", min_paid_invites=20),
        TierStep(tier="phoenix", min_paid_invites=51),
    )
)
