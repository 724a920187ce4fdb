"""Leaderboards: which boards there are, the calendar period a board covers, and what a
board answers. Ranks go by value, ties to whoever reached it first, then by id. Every board
counts, except `sharers`, which adds money: in one currency only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.domain.analytics import END_OF_TIME_MS, month_index, month_start
from app.domain.plans import DAY_MS

Board = Literal["inviters", "paid_inviters", "downline_growth", "new_phoenixes", "sharers"]
Period = Literal["day", "week", "month", "all"]
MAX_BOARD_LIMIT = 100
DEFAULT_BOARD_LIMIT = 10
BOARD_DESCRIPTIONS: dict[str, str] = {
    "inviters": "new direct invitees who joined in the period",
    "paid_inviters": "direct invitees who became paid in the period",
    "downline_growth": "members who joined anywhere below her in the period",
    "new_phoenixes": "members who first reached the top tier in the period (value 1, ranked "
    "by when)",
    "sharers": "net sales, in minor units of `currency`, of the orders placed in the period "
    "through her share links by someone other than her: each order's amount less what has "
    "been refunded of it so far, whenever refunded (as the analytics' net sales count them)",
}
# The boards whose value is money; the others count.
MONEY_BOARDS: frozenset[str] = frozenset({"sharers"})


def period_window(period: Period, at: int) -> tuple[int, int]:
    """[from, to) of the UTC calendar period holding `at`: its day, its ISO week (from
    Monday), its month, or all time."""
    if period == "all":
        return 0, END_OF_TIME_MS
    day = at - at % DAY_MS
    if period == "day":
        return day, day + DAY_MS
    if period == "week":
        monday = day - datetime.fromtimestamp(day / 1000, UTC).weekday() * DAY_MS
        return monday, monday + 7 * DAY_MS
    index = month_index(at)
    return month_start(index), month_start(index + 1)


class BoardItem(BaseModel):
    rank: int
    member_id: str
    name: str | None
    tier: str
    value: int
    achieved_at: int | None = Field(
        description="When she reached her value (the event that last added to it); ties go "
        "to the earlier. Null on the all-time downline board, which reads counters"
    )


class BoardPeriod(BaseModel):
    kind: Period
    from_: int = Field(serialization_alias="from")
    to: int


class Leaderboard(BaseModel):
    board: Board
    period: BoardPeriod
    circle: str | None
    currency: str | None = Field(
        default=None,
        description="The currency of a money board's values (`sharers`); null on the boards "
        "that count, and on a money board with no sales in the period",
    )
    items: list[BoardItem]
    computed_at: int = Field(
        description="When the board was computed (epoch ms): answers are reused for up to "
        "REFGRAPH_LEADERBOARD_TTL_S seconds"
    )


def ranked(rows: list[tuple[str, int, int | None]]) -> list[tuple[int, str, int, int | None]]:
    """(rank, id, value, achieved) of (id, value, achieved) rows: value descending, then the
    earlier achievement (unknown last), then id."""
    order = sorted(rows, key=lambda row: (-row[1], row[2] is None, row[2] or 0, row[0]))
    return [(rank, *row) for rank, row in enumerate(order, start=1)]
