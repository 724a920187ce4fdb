"""Tier what-if: who would hold which tier under another ladder, and what the training
allowance over a period would have cost with it. Pure rules: no I/O, nothing written."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.domain.ledger import plan_in_force
from app.domain.plans import FULL_RATE_BP, Plan, TrainingAllowance
from app.domain.tiers import TierLadder, TierStep
from app.domain.units import EpochMs, iso_moment

MOVE_SAMPLE = 20


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: EpochMs = Field(alias="from", description="Orders placed at or after (epoch ms)")
    to: EpochMs = Field(description="Orders placed before (epoch ms)")

    @model_validator(mode="after")
    def ordered(self) -> Period:
        if self.to <= self.from_:
            raise ValueError(
                f"period.to ({iso_moment(self.to)}) must be after period.from "
                f"({iso_moment(self.from_)})"
            )
        return self


class TierProposal(BaseModel):
    """Every tier of the ladder with a proposed threshold, increasing from 0."""

    model_config = ConfigDict(extra="forbid")

    ladder: list[TierStep] = Field(min_length=1, max_length=20)
    period: Period

    def proposed_ladder(self) -> TierLadder:
        return TierLadder(steps=tuple(self.ladder))


class TierMove(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    count: int
    sample: list[str] = Field(description=f"Up to {MOVE_SAMPLE} member ids")


class AllowanceCost(BaseModel):
    current: int = Field(description="Training allowance the ledger granted for the period")
    proposed: int = Field(description="The same orders re-priced under the proposed ladder")
    delta: int


class TierSimulation(BaseModel):
    current: dict[str, int]
    proposed: dict[str, int]
    moves: list[TierMove]
    allowance_cost: AllowanceCost


def tier_moves(
    groups: Iterable[tuple[str, int, int]], current: TierLadder, proposed: TierLadder
) -> tuple[dict[str, int], dict[str, int], dict[tuple[str, str], int]]:
    """From (tier now, paid direct invites, members) groups: the members per tier now and
    proposed, and the members per (from, to) move."""
    now = {step.tier: 0 for step in current.steps}
    then = {step.tier: 0 for step in proposed.steps}
    moves: dict[tuple[str, str], int] = {}
    for tier, paid, members in groups:
        target = proposed.tier_for(paid)
        now[tier] = now.get(tier, 0) + members
        then[target] += members
        if target != tier:
            moves[(tier, target)] = moves.get((tier, target), 0) + members
    return now, then, moves


def paid_range(ladder: TierLadder, tier: str) -> tuple[int, int]:
    """The paid direct invites for which `ladder` gives `tier` (inclusive)."""
    steps = list(ladder.steps)
    index = next(i for i, step in enumerate(steps) if step.tier == tier)
    high = steps[index + 1].min_paid_invites - 1 if index + 1 < len(steps) else 2**62
    return steps[index].min_paid_invites, high


def allowance_under(
    ladder: TierLadder,
    plans: list[Plan],
    orders: Iterable[tuple[str, int, int, str]],
    trainers: Mapping[str, tuple[str, list[int]]],
) -> int:
    """The training allowance of (order, amount, placed_at, source) orders, each trainer
    holding the tier `ladder` gives her paid direct invites at the order's time."""
    names = [step.tier for step in ladder.steps]
    paid_times = {trainer: sorted(times) for trainer, times in trainers.values()}
    total = 0
    for _, amount, placed_at, source in orders:
        plan = plan_in_force(plans, placed_at)
        found = plan.rule_of("training_allowance") if plan is not None else None
        if found is None or source not in trainers:
            continue
        rule = found[1]
        assert isinstance(rule, TrainingAllowance)
        trainer = trainers[source][0]
        tier = ladder.tier_for(bisect_right(paid_times[trainer], placed_at))
        if rule.tier in names and names.index(tier) >= names.index(rule.tier):
            total += amount * rule.rate_for(tier) // FULL_RATE_BP
    return total
