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
    changes as they were written (a history's version). A `floor` says she holds exactly
    `tier` from `at` on: it is how a step down (a paid mark undone, an invitee moved away)
    and every rewrite of a history after one are recorded, since changes are never edited."""

    at: int
    seq: int
    tier: str
    floor: bool = False


def tier_reached(changes: Iterable[TierStamp], ladder: TierLadder) -> str:
    """The tier `changes` say she holds (given those up to a moment: the tier then). From the
    latest floor on (by time, then seq), the highest tier reached wins: up to a step down
    tiers only rise, and a late paid mark records an earlier crossing beside the one it
    corrects. Without any change, the base tier."""
    rank = {step.tier: index for index, step in enumerate(ladder.steps)}
    ordered = sorted(changes, key=lambda change: (change.at, change.seq))
    floors = [index for index, change in enumerate(ordered) if change.floor]
    since = floors[-1] if floors else 0
    reached = [change.tier for change in ordered[since:] if change.tier in rank]
    return max(reached, key=rank.__getitem__, default=ladder.base_tier)


Stamp = TypeVar("Stamp", bound=TierStamp)


def known_changes(changes: Iterable[Stamp], known_seq: int | None) -> list[Stamp]:
    """The changes recorded by the time her history stood at `known_seq` (None: all of
    them): what a ledger entry written then was priced with."""
    return [change for change in changes if known_seq is None or change.seq <= known_seq]


class PaidSpan(NamedTuple):
    """A stretch of time in which one of her direct invitees counted for her tier: invited
    by her (that invitation edge valid) and paid. `until` None: still."""

    since: int
    until: int | None


def invitee_spans(
    valid_from: int,
    valid_to: int | None,
    paid_at: int | None,
    paid_since: list[int],
    paid_until: list[int],
) -> list[PaidSpan]:
    """When one invitation edge gave her a paid invitee: while the edge held ([valid_from,
    valid_to)) and its invitee was paid (her paid mark, or one undone since)."""
    paid: list[tuple[int, int | None]] = list(zip(paid_since, paid_until, strict=True))
    if paid_at is not None:
        paid.append((paid_at, None))
    spans = []
    for since, until in paid:
        start = max(valid_from, since)
        ends = [end for end in (valid_to, until) if end is not None]
        end = min(ends) if ends else None
        if end is None or end > start:
            spans.append(PaidSpan(start, end))
    return spans


def tier_steps(spans: Iterable[PaidSpan], ladder: TierLadder) -> list[tuple[int, str]]:
    """Her true tier history from the spans of her paid direct invitees: (at, tier) at every
    moment her tier changed, oldest first (before the first, the base tier). Spans that
    start and end at one moment add nothing."""
    deltas: dict[int, int] = {}
    for since, until in spans:
        if until is not None and until <= since:
            continue
        deltas[since] = deltas.get(since, 0) + 1
        if until is not None:
            deltas[until] = deltas.get(until, 0) - 1
    steps: list[tuple[int, str]] = []
    count, tier = 0, ladder.base_tier
    for at in sorted(deltas):
        count += deltas[at]
        now = ladder.tier_for(count)
        if now != tier:
            steps.append((at, now))
            tier = now
    return steps


class TierCorrection(NamedTuple):
    """A change to append to a history so that it tells the truth: always a floor."""

    at: int
    seq: int
    tier: str
    previous: str


def history_corrections(
    steps: list[tuple[int, str]], changes: list[TierStamp], ladder: TierLadder
) -> list[TierCorrection]:
    """What to append to `changes` (her recorded history) so that at every moment it gives
    the tier `steps` (her true history, from `tier_steps`) gives: nothing when they agree.
    From the first moment they differ, a floor at every true step and at every recorded
    change after it, each with a newer seq, so no earlier record is read past that moment.
    Before it, nothing changes: what was priced then stays true."""

    def true_tier(at: int) -> str:
        held = ladder.base_tier
        for moment, tier in steps:
            if moment > at:
                break
            held = tier
        return held

    def recorded_tier(at: int) -> str:
        return tier_reached((change for change in changes if change.at <= at), ladder)

    moments = sorted({at for at, _ in steps} | {change.at for change in changes})
    first = next((at for at in moments if true_tier(at) != recorded_tier(at)), None)
    if first is None:
        return []
    last_seq = max((change.seq for change in changes), default=0)
    corrections = []
    previous = recorded_tier(first - 1)
    for offset, at in enumerate(moment for moment in moments if moment >= first):
        tier = true_tier(at)
        corrections.append(TierCorrection(at, last_seq + offset + 1, tier, previous))
        previous = tier
    return corrections


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
