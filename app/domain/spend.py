"""Spend levels and paid super membership (DESIGN.md, "Spend levels"): the second ladder,
independent of the honour tiers, earned by what a member spends rather than by whom she
invites; and the membership she pays for, with an expiry. Pure rules: no I/O.

Spend levels. The rule, with money in minor units of the ladder's currency, times in epoch
ms and a year of WINDOW_MS = 365 days:

- A *purchase* is an order of hers in the ladder's currency; its net spend is its amount
  less what has been refunded of it. A fully refunded order is no purchase. A refund counts
  whenever it was made: it lowers the spend of the purchase it refunds, so a level answered
  for a past moment (`as_of`) reflects the refunds known now.
- rolling(t): the net spend of her purchases placed in (t - 365 days, t].
- Each purchase p *earns* the highest level whose `min_spend` rolling(p.placed_at)
  reaches, and that level is *held* for 365 days after it: over
  [p.placed_at, p.placed_at + 365 days).
- Her level at t is the highest level earned by a purchase placed in (t - 365 days, t]; the
  base level (`min_spend` 0) when there is none, so after 365 days without a purchase she
  falls back to it. Spending less lowers her only once the purchases that earned her level
  are a year old.
- The report at t: the level and its `price_bp` (what she pays, in basis points of list
  price: 9800 is 9.8折); `rolling_spend` = rolling(t); `held_until`, the moment (exclusive)
  her level lapses unless a purchase earns it again = the latest p.placed_at + 365 days of
  the purchases that earned it (none at the base level); the next level above hers and
  `spend_to_next` = its `min_spend` - rolling(t), what one purchase at t must spend to
  earn it (always positive: the newest purchase of the year earned at least what rolling(t)
  reaches).

Points (a ladder option, `min_points` on a level; the sources upgrade at 8,000 points): a
level may also be reached by points. points(t) is the net of her points earned, granted and
taken back (app/domain/points.py) in (t - 365 days, t]; redemptions and expiry do not lower
it (spending points is no reason to fall back). Each earn or grant g earns the highest level
whose `min_points` points(g.at) reaches, held for 365 days, exactly as a purchase earns one
by spend; her level is the highest earned either way, and `held_until` is that of the latest
event that earned it. `spend_to_next` still says what spend alone would take.

The level at t needs the purchases of the two years to t (each purchase's own year). The
store returns those newest first, at most MAX_PURCHASES: a member with more in two years is
judged on her newest MAX_PURCHASES, which can only under-state her level, never over-state
it.

Super membership. She is a super member at t when one of her memberships covers it:
starts_at <= t < expires_at. Memberships that overlap or meet (a renewal bought ahead,
starting where the last one ends) make one unbroken run, so the report at t says:

- active: a membership covers t;
- since: when active, the start of the unbroken run that covers t;
- expires_at: when active, the end of that run (the latest expiry of the memberships
  covering t, carried on by any that start before it ends); when not, the latest expiry of
  the memberships that ended at or before t (none if none has).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate, pairwise
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.domain.units import Currency

WINDOW_MS = 365 * 86_400_000
LOOKBACK_MS = 2 * WINDOW_MS
MAX_PURCHASES = 2000
# Ample for one member (one a year); the tier read returns at most this many, latest first.
MAX_MEMBERSHIPS = 100
FULL_PRICE_BP = 10_000


class SpendLevel(BaseModel):
    model_config = ConfigDict(frozen=True)

    level: str = Field(min_length=1, max_length=40)
    min_spend: int = Field(ge=0, description="Net spend over the rolling year, minor units")
    price_bp: int = Field(gt=0, le=FULL_PRICE_BP, description="Price paid, bp of list price")
    min_points: int | None = Field(
        default=None, gt=0, description="Also reached by this many points over the rolling year"
    )


class SpendLadder(BaseModel):
    """Levels in increasing order of `min_spend`, the first at 0 (every member holds one)."""

    model_config = ConfigDict(frozen=True)

    # Thresholds are in this currency's minor units; orders in another one do not count.
    currency: Currency = "CNY"
    levels: tuple[SpendLevel, ...]

    @model_validator(mode="after")
    def strictly_increasing(self) -> SpendLadder:
        if not self.levels:
            raise ValueError("a spend ladder needs at least one level")
        if self.levels[0].min_spend != 0:
            raise ValueError("the first spend level must start at 0 (every member holds one)")
        if any(b.min_spend <= a.min_spend for a, b in pairwise(self.levels)):
            raise ValueError("spend level thresholds must be strictly increasing")
        if any(b.price_bp > a.price_bp for a, b in pairwise(self.levels)):
            raise ValueError("a higher spend level may not pay a higher price_bp")
        names = [level.level for level in self.levels]
        if len(set(names)) != len(names):
            raise ValueError("spend level names must be unique")
        if self.levels[0].min_points is not None:
            raise ValueError("the first spend level is everyone's: it takes no min_points")
        by_points = [level.min_points for level in self.levels if level.min_points is not None]
        if any(b <= a for a, b in pairwise(by_points)):
            raise ValueError("spend level min_points must be strictly increasing")
        return self

    @property
    def counts_points(self) -> bool:
        return any(level.min_points is not None for level in self.levels)

    def rank_for(self, spend: int) -> int:
        """The index of the highest level `spend` reaches."""
        return max(i for i, level in enumerate(self.levels) if spend >= level.min_spend)

    def rank_for_points(self, points: int) -> int:
        """The index of the highest level `points` reach (0: none)."""
        return max(
            (i for i, level in enumerate(self.levels) if level.min_points is not None
             and points >= level.min_points),
            default=0,
        )  # fmt: skip


# The source's example: thresholds 5k/10k/20k/30k/40k/50k yuan a year, discounts from 9.8折
# to 8.5折; the level names and the discounts between are ours.
DEFAULT_SPEND_LADDER = SpendLadder(
    currency="CNY",
    levels=(
        SpendLevel(level="v0", min_spend=0, price_bp=10_000),
        SpendLevel(level="v1", min_spend=500_000, price_bp=9800),
        SpendLevel(level="v2", min_spend=1_000_000, price_bp=9500),
        SpendLevel(level="v3", min_spend=2_000_000, price_bp=9200),
        SpendLevel(level="v4", min_spend=3_000_000, price_bp=9000),
        SpendLevel(level="v5", min_spend=4_000_000, price_bp=8800),
        SpendLevel(level="v6", min_spend=5_000_000, price_bp=8500),
    ),
)


class Purchase(NamedTuple):
    placed_at: int
    net: int  # amount - refunded, minor units


class PointsGain(NamedTuple):
    """A points entry that counts towards a level: an earn or a grant (positive) or a
    take-back (negative)."""

    at: int
    points: int


class SpendStatus(BaseModel):
    level: str
    price_bp: int
    currency: str
    rolling_spend: int
    held_until: int | None
    next_level: str | None
    spend_to_next: int | None


def spend_status(
    purchases: Iterable[Purchase],
    at: int,
    ladder: SpendLadder,
    points: Iterable[PointsGain] = (),
) -> SpendStatus:
    """The spend level at `at` (module docstring), from her purchases (and, when the ladder
    counts points, her points) of the two years to it."""
    kept = sorted(p for p in purchases if p.net > 0 and at - LOOKBACK_MS < p.placed_at <= at)
    times = [p.placed_at for p in kept]
    spent = [0, *accumulate(p.net for p in kept)]

    def rolling(t: int) -> int:
        return spent[bisect_right(times, t)] - spent[bisect_right(times, t - WINDOW_MS)]

    earned = [
        (ladder.rank_for(rolling(p.placed_at)), p.placed_at)
        for p in kept
        if p.placed_at > at - WINDOW_MS
    ]
    if ladder.counts_points:
        earned += _earned_by_points(points, at, ladder)
    rank, last_earned = max(earned, default=(0, None))
    level = ladder.levels[rank]
    nxt = ladder.levels[rank + 1] if rank + 1 < len(ladder.levels) else None
    now_spend = rolling(at)
    return SpendStatus(
        level=level.level,
        price_bp=level.price_bp,
        currency=ladder.currency,
        rolling_spend=now_spend,
        held_until=last_earned + WINDOW_MS if rank > 0 and last_earned is not None else None,
        next_level=nxt.level if nxt else None,
        spend_to_next=nxt.min_spend - now_spend if nxt else None,
    )


def _earned_by_points(
    points: Iterable[PointsGain], at: int, ladder: SpendLadder
) -> list[tuple[int, int]]:
    """(rank, when) earned by each earn or grant of the year to `at`, by its rolling points."""
    gains = sorted(g for g in points if at - LOOKBACK_MS < g.at <= at)
    times = [g.at for g in gains]
    running = [0, *accumulate(g.points for g in gains)]

    def rolling(t: int) -> int:
        return running[bisect_right(times, t)] - running[bisect_right(times, t - WINDOW_MS)]

    return [
        (ladder.rank_for_points(rolling(g.at)), g.at)
        for g in gains
        if g.points > 0 and g.at > at - WINDOW_MS
    ]


class Term(NamedTuple):
    """One super membership's period, expires_at exclusive."""

    starts_at: int
    expires_at: int


class SuperMembershipStatus(BaseModel):
    active: bool
    since: int | None
    expires_at: int | None


def super_membership_status(terms: Iterable[Term], at: int) -> SuperMembershipStatus:
    """Her super membership at `at` (module docstring)."""
    by_start = sorted(terms)
    covering = [t for t in by_start if t.starts_at <= at < t.expires_at]
    if not covering:
        ended = [t.expires_at for t in by_start if t.expires_at <= at]
        return SuperMembershipStatus(active=False, since=None, expires_at=max(ended, default=None))
    since = min(t.starts_at for t in covering)
    end = max(t.expires_at for t in covering)
    # In order of start, the run goes on while the next membership starts before it ends;
    # in reverse order of expiry, back while the previous one ends after it starts.
    for term in by_start:
        if term.starts_at > end:
            break
        end = max(end, term.expires_at)
    for term in sorted(by_start, key=lambda t: t.expires_at, reverse=True):
        if term.expires_at < since:
            break
        since = min(since, term.starts_at)
    return SuperMembershipStatus(active=True, since=since, expires_at=end)
