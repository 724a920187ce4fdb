"""The calendar periods boards cover, and how they rank."""

from __future__ import annotations

from typing import get_args

from app.domain.analytics import END_OF_TIME_MS
from app.domain.leaderboards import BOARD_DESCRIPTIONS, MONEY_BOARDS, Board, period_window, ranked
from app.domain.units import iso_epoch_ms


def ms(text: str) -> int:
    return iso_epoch_ms(text)


def test_periods_are_utc_calendar_days_iso_weeks_and_months() -> None:
    at = ms("2026-03-04T23:59:59.999Z")  # a Wednesday
    assert period_window("day", at) == (ms("2026-03-04T00:00:00Z"), ms("2026-03-05T00:00:00Z"))
    assert period_window("week", at) == (ms("2026-03-02T00:00:00Z"), ms("2026-03-09T00:00:00Z"))
    assert period_window("month", at) == (ms("2026-03-01T00:00:00Z"), ms("2026-04-01T00:00:00Z"))
    assert period_window("all", at) == (0, END_OF_TIME_MS)
    # A Monday's week starts that day; December's month ends with the year.
    monday = ms("2026-03-09T00:00:00Z")
    assert period_window("week", monday)[0] == monday
    assert period_window("month", ms("2026-12-31T12:00:00Z"))[1] == ms("2027-01-01T00:00:00Z")


def test_ties_go_to_the_earlier_achievement_then_the_id() -> None:
    rows = [("b", 3, 20), ("a", 3, 20), ("c", 3, 10), ("d", 5, 99), ("e", 3, None)]
    assert [(rank, member) for rank, member, _, _ in ranked(rows)] == [
        (1, "d"), (2, "c"), (3, "a"), (4, "b"), (5, "e"),
    ]  # fmt: skip


def test_every_board_is_described_and_only_sharers_is_in_money() -> None:
    assert list(BOARD_DESCRIPTIONS) == list(get_args(Board))
    assert sorted(MONEY_BOARDS) == ["sharers"]
