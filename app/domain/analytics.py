"""Growth metrics as pure rules: calendar months in UTC, the repurchase cohorts by join month,
and how concentrated sales are. No I/O: the store hands in per-member rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel, Field

DAY_MS = 86_400_000
FIRST_PURCHASE_WINDOW_MS = 7 * DAY_MS
SECOND_PURCHASE_WINDOW_MS = 30 * DAY_MS
# The latest month a cohort metric looks at, counted from the join month.
HORIZON_MONTHS = 6
MAX_WINDOW_MONTHS = 24
# The windows a report covers when the caller leaves a bound out.
DEFAULT_COHORT_MONTHS = 12
DEFAULT_CONCENTRATION_MS = 30 * DAY_MS
MAX_YEAR = 9999
END_OF_TIME_MS = 253_402_300_800_000  # 10000-01-01T00:00:00Z


def month_index(epoch_ms: int) -> int:
    """Months since year 0 of the UTC calendar month holding the instant."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.year * 12 + moment.month - 1


def month_start(index: int) -> int:
    """The first epoch ms of a month_index; past year 9999 (times end there, and datetime
    with them), the first ms of year 10000. A cohort window ending in 9999 looks six months
    further for purchases, which was a 500 (found by the API fuzz run)."""
    year, month = divmod(index, 12)
    if year > MAX_YEAR:
        return END_OF_TIME_MS
    return int(datetime(year, month + 1, 1, tzinfo=UTC).timestamp()) * 1000


def month_label(index: int) -> str:
    year, month = divmod(index, 12)
    return f"{year:04d}-{month + 1:02d}"


def window_months(from_: int, to: int) -> int:
    """How many calendar months [from_, to) touches; to > from_."""
    return month_index(to - 1) - month_index(from_) + 1


def cohort_window(from_: int | None, to: int | None, now: int) -> tuple[int, int]:
    """[from, to) of a cohort report, an omitted bound filled in with DEFAULT_COHORT_MONTHS
    calendar months after `from_` or before `to`; with neither, the months ending with the
    current one, so this month's joiners are in."""
    if to is None:
        to = month_start(
            month_index(now) + 1 if from_ is None else month_index(from_) + DEFAULT_COHORT_MONTHS
        )
    if from_ is None:
        from_ = month_start(month_index(to - 1) - DEFAULT_COHORT_MONTHS + 1)
    return from_, to


def concentration_window(from_: int | None, to: int | None, now: int) -> tuple[int, int]:
    """[from, to) of a concentration report, an omitted bound filled in with
    DEFAULT_CONCENTRATION_MS after `from_` or before `to`; with neither, the 30 days up to and
    including `now`."""
    if to is None:
        to = now + 1 if from_ is None else from_ + DEFAULT_CONCENTRATION_MS
    if from_ is None:
        from_ = to - DEFAULT_CONCENTRATION_MS
    return from_, to


def purchase_horizon(to: int) -> int:
    """The exclusive end of the purchases any member joined before `to` needs: the end of the
    sixth calendar month after the last join month (30 days after any join end earlier)."""
    return month_start(month_index(to - 1) + HORIZON_MONTHS + 1)


@dataclass(frozen=True)
class MemberActivity:
    """One member's join time and the placed_at of her purchases (orders she bought that are
    not refunded in full), in any order."""

    joined_at: int
    purchases: Sequence[int]


class Cohort(BaseModel):
    month: str = Field(description="Join month in UTC, `YYYY-MM`")
    members: int = Field(description="Members who joined in the month (within the window)")
    buyers: int = Field(
        description="Members with a purchase by the end of the sixth month after the join month"
    )
    next_month_repurchase: float = Field(
        description="Share of members who bought in the calendar month after the join month"
    )
    six_month_repurchase: float = Field(
        description="Share of members who bought in the sixth calendar month after it"
    )
    first_purchase_7d: float = Field(
        description="Share of members whose first purchase came at most 7 x 24 h after joining"
    )
    second_purchase_30d: float = Field(
        description="Share of members with two purchases at most 30 x 24 h after joining"
    )


@dataclass
class _Counts:
    members: int = 0
    buyers: int = 0
    next_month: int = 0
    six_month: int = 0
    first_7d: int = 0
    second_30d: int = 0


def cohorts(activities: Iterable[MemberActivity]) -> list[Cohort]:
    """One cohort per join month that has members, oldest first. A purchase counts only from
    the join on and up to the end of the sixth month after the join month, so a cohort's
    figures do not depend on the window that selected it."""
    counts: dict[int, _Counts] = {}
    for activity in activities:
        joined_month = month_index(activity.joined_at)
        end = month_start(joined_month + HORIZON_MONTHS + 1)
        times = sorted(t for t in activity.purchases if activity.joined_at <= t < end)
        months = {month_index(t) for t in times}
        row = counts.setdefault(joined_month, _Counts())
        row.members += 1
        row.buyers += bool(times)
        row.next_month += joined_month + 1 in months
        row.six_month += joined_month + HORIZON_MONTHS in months
        row.first_7d += bool(times) and times[0] - activity.joined_at <= FIRST_PURCHASE_WINDOW_MS
        row.second_30d += (
            len(times) >= 2 and times[1] - activity.joined_at <= SECOND_PURCHASE_WINDOW_MS
        )
    return [
        Cohort(
            month=month_label(month),
            members=row.members,
            buyers=row.buyers,
            next_month_repurchase=row.next_month / row.members,
            six_month_repurchase=row.six_month / row.members,
            first_purchase_7d=row.first_7d / row.members,
            second_purchase_30d=row.second_30d / row.members,
        )
        for month, row in sorted(counts.items())
    ]


def top_share(net_sales: Iterable[int], share_of_members: tuple[int, int] = (1, 5)) -> float:
    """Of the members with net sales > 0, the part of all their sales that the top
    ceil(share x n) of them made; 0 when none sold. Ties at the cut do not change it."""
    positive = sorted((amount for amount in net_sales if amount > 0), reverse=True)
    if not positive:
        return 0.0
    numerator, denominator = share_of_members
    # Integer ceiling: a float 0.2 x n would round some n the wrong way.
    top = -(-len(positive) * numerator // denominator)
    return sum(positive[:top]) / sum(positive)
