"""The dashboard's figures as pure rules: the calendar buckets it counts in (UTC months and
ISO weeks up to the one holding a moment), and the running totals built from per-bucket
counts."""

from __future__ import annotations

from itertools import accumulate

from pydantic import BaseModel, Field

from app.domain.analytics import month_index, month_label, month_start
from app.domain.leaderboards import period_window

DEFAULT_MONTHS = 12
MAX_MONTHS = 24
WEEKS = 12
WEEK_MS = 7 * 86_400_000


def month_bounds(at: int, months: int) -> list[int]:
    """months + 1 bounds: the starts of the `months` UTC months ending with the one holding
    `at`, then the end of that one."""
    last = month_index(at)
    return [month_start(index) for index in range(last - months + 1, last + 2)]


def week_bounds(at: int, weeks: int = WEEKS) -> list[int]:
    """weeks + 1 bounds of the ISO weeks (from Monday, UTC) ending with the one holding `at`."""
    _, end = period_window("week", at)
    return [end - (weeks - k) * WEEK_MS for k in range(weeks + 1)]


class DashboardMonth(BaseModel):
    month: str = Field(description="YYYY-MM (UTC)")
    new_members: int
    new_paid: int
    members: int = Field(description="Members who had joined by the month's end")
    paid_members: int = Field(description="Members paid by the month's end")
    net_sales: dict[str, int] = Field(
        description="Per currency: orders placed in the month, less refunds"
    )
    commission: dict[str, int] = Field(
        description="Per currency: ledger entries by event time in the month, reversals netted"
    )


class DashboardWeek(BaseModel):
    week_start: int = Field(description="Monday 00:00 UTC (epoch ms)")
    new_members: int


class Dashboard(BaseModel):
    at: int
    members: int = Field(description="Members who had joined by the end of the last month")
    paid_members: int
    paid_conversion: float = Field(description="paid_members / members (0 without members)")
    months: list[DashboardMonth]
    weeks: list[DashboardWeek]


def running_totals(before: int, per_bucket: list[int]) -> list[int]:
    """The total at the end of each bucket, from the total before the first."""
    return list(accumulate(per_bucket, initial=before))[1:]


def month_labels(bounds: list[int]) -> list[str]:
    return [month_label(month_index(start)) for start in bounds[:-1]]
