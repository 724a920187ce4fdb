"""Growth metrics' pure rules, against expectations worked out by hand (all times UTC)."""

from __future__ import annotations

import pytest

from app.domain.analytics import (
    DAY_MS,
    END_OF_TIME_MS,
    Cohort,
    MemberActivity,
    cohort_window,
    cohorts,
    month_index,
    month_label,
    month_start,
    purchase_horizon,
    top_share,
    window_months,
)

JAN = 1_767_225_600_000  # 2026-01-01T00:00Z
FEB = JAN + 31 * DAY_MS  # 2026-02-01T00:00Z
MAR = FEB + 28 * DAY_MS  # 2026-03-01T00:00Z
JUL = JAN + 181 * DAY_MS  # 2026-07-01T00:00Z
AUG = JUL + 31 * DAY_MS  # 2026-08-01T00:00Z
DEC_2025 = JAN - 31 * DAY_MS  # 2025-12-01T00:00Z
HOUR = 3_600_000


def one(joined_at: int, *purchases: int) -> Cohort:
    [cohort] = cohorts([MemberActivity(joined_at, purchases)])
    return cohort


def flags(cohort: Cohort) -> tuple[int, float, float, float, float]:
    return (
        cohort.buyers,
        cohort.next_month_repurchase,
        cohort.six_month_repurchase,
        cohort.first_purchase_7d,
        cohort.second_purchase_30d,
    )


def test_months_are_utc_calendar_months() -> None:
    assert month_label(month_index(JAN - 1)) == "2025-12"
    assert month_label(month_index(JAN)) == "2026-01"
    assert month_start(month_index(JAN)) == JAN
    assert month_start(month_index(JAN) + 1) == FEB
    assert month_start(month_index(JAN) + 2) == MAR
    assert month_start(month_index(JAN - 1)) == DEC_2025
    assert month_start(month_index(JAN) + 6) == JUL


def test_window_months_and_the_purchase_horizon() -> None:
    assert window_months(JAN, FEB) == 1
    assert window_months(JAN, FEB + 1) == 2
    assert window_months(JAN - 1, JAN) == 1  # the last ms of December only
    assert window_months(DEC_2025, JAN + 1) == 2  # December and the first ms of January
    # Joins up to the last ms of January need purchases up to the end of July.
    assert purchase_horizon(FEB) == AUG
    assert purchase_horizon(FEB + 1) == AUG + 31 * DAY_MS  # a February join: end of August


def test_joining_on_the_31st_the_next_month_is_the_calendar_month_after() -> None:
    joined = JAN + 30 * DAY_MS + 23 * HOUR  # 2026-01-31T23:00Z
    cohort = one(joined, FEB + 2 * HOUR)  # three hours later, but in February
    assert cohort.month == "2026-01"
    assert flags(cohort) == (1, 1.0, 0.0, 1.0, 0.0)
    # 29 days later is March: not the next month, though well within 30 days.
    assert flags(one(joined, MAR + HOUR)) == (1, 0.0, 0.0, 0.0, 0.0)


def test_december_to_january() -> None:
    joined = DEC_2025 + 14 * DAY_MS  # 2025-12-15
    cohort = one(joined, JAN + 9 * DAY_MS)
    assert cohort.month == "2025-12"
    assert cohort.next_month_repurchase == 1.0
    # Its sixth month is June 2026.
    june = JUL - 30 * DAY_MS
    assert one(joined, june).six_month_repurchase == 1.0
    assert one(joined, JUL).six_month_repurchase == 0.0


def test_the_sixth_month_after_a_january_join_is_july() -> None:
    assert one(JAN, JUL).six_month_repurchase == 1.0
    assert one(JAN, AUG - 1).six_month_repurchase == 1.0  # 2026-07-31T23:59:59.999Z
    assert one(JAN, JUL - 1).six_month_repurchase == 0.0  # June
    # August is past the horizon: not a purchase of this cohort at all.
    assert flags(one(JAN, AUG)) == (0, 0.0, 0.0, 0.0, 0.0)


def test_first_purchase_within_exactly_seven_days_counts_one_ms_later_does_not() -> None:
    joined = JAN + 5 * HOUR
    assert one(joined, joined + 7 * 24 * HOUR).first_purchase_7d == 1.0
    assert one(joined, joined + 7 * 24 * HOUR + 1).first_purchase_7d == 0.0
    assert one(joined, joined).first_purchase_7d == 1.0  # at the join itself


def test_second_purchase_within_thirty_days() -> None:
    joined = JAN
    assert one(joined, joined + DAY_MS, joined + 30 * DAY_MS).second_purchase_30d == 1.0
    assert one(joined, joined + DAY_MS, joined + 30 * DAY_MS + 1).second_purchase_30d == 0.0
    assert one(joined, joined + 10 * DAY_MS).second_purchase_30d == 0.0  # one purchase only
    # Purchases come in any order; the two earliest decide.
    assert one(joined, joined + 40 * DAY_MS, joined + 2, joined + 1).second_purchase_30d == 1.0


def test_purchases_before_joining_do_not_count() -> None:
    assert flags(one(FEB, FEB - 1)) == (0, 0.0, 0.0, 0.0, 0.0)


def test_rates_are_fractions_of_the_cohort_and_empty_months_are_omitted() -> None:
    activities = [
        MemberActivity(JAN, [JAN + DAY_MS, FEB + DAY_MS]),  # 7d, next month; Feb 2 is day 32
        MemberActivity(JAN + DAY_MS, [FEB, JUL]),  # next month, six months
        MemberActivity(JAN + 2 * DAY_MS, []),
        MemberActivity(JAN + 3 * DAY_MS, [JAN + 3 * DAY_MS, JAN + 4 * DAY_MS]),  # 7d, 30d
        MemberActivity(MAR, [MAR]),  # February has nobody
    ]
    assert cohorts(activities) == [
        Cohort(
            month="2026-01",
            members=4,
            buyers=3,
            next_month_repurchase=0.5,
            six_month_repurchase=0.25,
            first_purchase_7d=0.5,
            second_purchase_30d=0.25,
        ),
        Cohort(
            month="2026-03",
            members=1,
            buyers=1,
            next_month_repurchase=0.0,
            six_month_repurchase=0.0,
            first_purchase_7d=1.0,
            second_purchase_30d=0.0,
        ),
    ]
    assert cohorts([]) == []


@pytest.mark.parametrize(
    ("sales", "share"),
    [
        ([], 0.0),
        ([0, -5], 0.0),  # nobody with net sales > 0
        ([300], 1.0),
        ([50, 20, 10, 10, 10], 0.5),  # n = 5: the top 1
        ([40, 10, 10, 10, 10, 20], 0.6),  # n = 6: ceil(1.2) = the top 2
        ([10, 10, 10, 10, 10, 10], 2 / 6),  # ties: any two, the same share
        ([70, 10, 10, 10, 0], 0.7),  # the zero is not a member with sales: n = 4, top 1
    ],
)
def test_top_share(sales: list[int], share: float) -> None:
    assert top_share(sales) == pytest.approx(share, abs=0)


def test_top_share_is_exact_past_two_to_the_53() -> None:
    big = 2**60
    assert top_share([big + 1, 1, 1, 1, big]) == (big + 1) / (2 * big + 3)


def test_windows_at_the_end_of_time_stay_in_range() -> None:
    """A cohort window ending in 9999 looks six months on for purchases: past what datetime
    can hold, a 500 on `GET /v1/analytics/cohorts?to=253383811200001` (the API fuzz run)."""
    last_ms = 253_402_300_799_999
    assert purchase_horizon(253_383_811_200_001) == END_OF_TIME_MS
    assert cohort_window(last_ms - 1, None, now=0) == (last_ms - 1, END_OF_TIME_MS)
