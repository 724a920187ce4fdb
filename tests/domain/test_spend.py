"""Spend levels and super membership: the rules of app/domain/spend.py, by worked examples
and against a transcription of the definitions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from app.domain.spend import (
    DEFAULT_SPEND_LADDER,
    LOOKBACK_MS,
    WINDOW_MS,
    PointsGain,
    Purchase,
    SpendLadder,
    SpendStatus,
    Term,
    spend_status,
    super_membership_status,
)

DAY = 86_400_000
YEAR = 365 * DAY
T0 = 1_767_225_600_000  # 2026-01-01T00:00Z
YUAN = 100  # minor units (fen) per yuan
LADDER = DEFAULT_SPEND_LADDER


def day(n: float) -> int:
    return T0 + int(n * DAY)


def buy(yuan: float, on_day: float) -> Purchase:
    return Purchase(placed_at=day(on_day), net=round(yuan * YUAN))


def level_on(purchases: list[Purchase], on_day: float) -> str:
    return spend_status(purchases, day(on_day), LADDER).level


def test_the_default_ladder_is_the_sources() -> None:
    assert [(lv.level, lv.min_spend // YUAN, lv.price_bp) for lv in LADDER.levels] == [
        ("v0", 0, 10_000), ("v1", 5_000, 9800), ("v2", 10_000, 9500), ("v3", 20_000, 9200),
        ("v4", 30_000, 9000), ("v5", 40_000, 8800), ("v6", 50_000, 8500),
    ]  # fmt: skip
    assert LADDER.currency == "CNY"


def test_without_purchases_she_holds_the_base_level() -> None:
    assert spend_status([], day(0), LADDER) == SpendStatus(
        level="v0", price_bp=10_000, currency="CNY", rolling_spend=0, held_until=None,
        next_level="v1", spend_to_next=500_000,
    )  # fmt: skip


def test_one_purchase_earns_its_level_for_365_days_then_she_falls_back() -> None:
    purchases = [buy(5_000, 0)]
    earned = spend_status(purchases, day(0), LADDER)
    assert (earned.level, earned.price_bp, earned.rolling_spend) == ("v1", 9800, 500_000)
    assert earned.held_until == day(365)
    assert (earned.next_level, earned.spend_to_next) == ("v2", 500_000)
    last_moment = spend_status(purchases, day(365) - 1, LADDER)
    assert (last_moment.level, last_moment.rolling_spend) == ("v1", 500_000)
    fallen = spend_status(purchases, day(365), LADDER)
    assert (fallen.level, fallen.rolling_spend, fallen.held_until) == ("v0", 0, None)


def test_the_threshold_is_reached_exactly_and_not_a_fen_below() -> None:
    assert level_on([Purchase(day(0), 500_000)], 0) == "v1"
    assert level_on([Purchase(day(0), 499_999)], 0) == "v0"


def test_spend_accumulates_over_the_rolling_year() -> None:
    purchases = [buy(3_000, 0), buy(3_000, 100)]
    before = spend_status(purchases, day(50), LADDER)
    assert (before.level, before.rolling_spend, before.spend_to_next) == ("v0", 300_000, 200_000)
    reached = spend_status(purchases, day(100), LADDER)
    assert (reached.level, reached.rolling_spend, reached.held_until) == ("v1", 600_000, day(465))
    # The first purchase has left the year, but the level the second one earned is held.
    later = spend_status(purchases, day(366), LADDER)
    assert (later.level, later.rolling_spend, later.held_until) == ("v1", 300_000, day(465))
    assert level_on(purchases, 465) == "v0"


def test_purchases_more_than_a_year_apart_do_not_add_up() -> None:
    assert level_on([buy(3_000, 0), buy(3_000, 365)], 365) == "v0"
    assert level_on([buy(3_000, 0), buy(3_000, 364.9)], 365) == "v1"


def test_a_level_is_held_for_a_year_though_her_spend_falls() -> None:
    purchases = [buy(20_000, 0), buy(6_000, 200)]
    assert level_on(purchases, 0) == "v3"
    # Day 400: only 6,000 in the rolling year (v1's worth), but day 200's purchase earned v3
    # with 26,000 in its own year, and holds it to day 565.
    held = spend_status(purchases, day(400), LADDER)
    assert (held.level, held.price_bp, held.rolling_spend) == ("v3", 9200, 600_000)
    assert held.held_until == day(565)
    assert (held.next_level, held.spend_to_next) == ("v4", 3_000_000 - 600_000)
    # Twelve months without a purchase: back to the base level, not to v1.
    assert level_on(purchases, 565) == "v0"


def test_a_small_purchase_renews_a_level_while_the_year_still_reaches_it() -> None:
    purchases = [buy(20_000, 0), buy(100, 300)]
    assert spend_status(purchases, day(300), LADDER).held_until == day(665)
    assert level_on(purchases, 664) == "v3"


def test_a_lower_level_earned_later_takes_over_when_the_higher_one_lapses() -> None:
    purchases = [buy(12_000, 0), buy(9_000, 100), buy(6_000, 400)]
    assert level_on(purchases, 0) == "v2"
    assert level_on(purchases, 100) == "v3"  # 21,000 in its year
    assert level_on(purchases, 464) == "v3"
    assert level_on(purchases, 465) == "v2"  # day 400's purchase earned v2 (15,000)
    assert spend_status(purchases, day(465), LADDER).held_until == day(765)
    assert level_on(purchases, 765) == "v0"


def test_refunds_reduce_spend() -> None:
    # 5,000 bought, 1 yuan of it refunded: 4,999 is not v1.
    assert level_on([buy(4_999, 0)], 0) == "v0"
    # A refund of an earlier purchase lowers what a later one earns.
    assert level_on([buy(3_000, 0), buy(2_500, 10)], 10) == "v1"
    assert level_on([buy(2_000, 0), buy(2_500, 10)], 10) == "v0"


def test_a_fully_refunded_order_is_no_purchase() -> None:
    purchases = [buy(20_000, 0), Purchase(day(300), 0)]
    status = spend_status(purchases, day(300), LADDER)
    assert status.held_until == day(365)  # the refunded order renewed nothing
    assert level_on(purchases, 365) == "v0"


def test_purchases_at_the_same_moment_count_together() -> None:
    status = spend_status([buy(2_500, 0), buy(2_500, 0)], day(0), LADDER)
    assert (status.level, status.rolling_spend) == ("v1", 500_000)


def test_purchases_after_the_moment_or_before_the_two_years_are_ignored() -> None:
    purchases = [buy(50_000, -800), buy(50_000, 1)]
    status = spend_status(purchases, day(0), LADDER)
    assert (status.level, status.rolling_spend) == ("v0", 0)


def test_the_top_level_has_no_next() -> None:
    status = spend_status([buy(60_000, 0)], day(0), LADDER)
    assert (status.level, status.price_bp, status.next_level, status.spend_to_next) == (
        "v6", 8500, None, None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        ([], "at least one level"),
        ([{"level": "a", "min_spend": 5, "price_bp": 10_000}], "start at 0"),
        (
            [{"level": "a", "min_spend": 0, "price_bp": 10_000},
             {"level": "b", "min_spend": 0, "price_bp": 9000}],
            "strictly increasing",
        ),
        (
            [{"level": "a", "min_spend": 0, "price_bp": 9000},
             {"level": "b", "min_spend": 10, "price_bp": 9500}],
            "higher price_bp",
        ),
        (
            [{"level": "a", "min_spend": 0, "price_bp": 10_000},
             {"level": "a", "min_spend": 10, "price_bp": 9000}],
            "unique",
        ),
        ([{"level": "a", "min_spend": 0, "price_bp": 10_001}], "less than or equal"),
        ([{"level": "a", "min_spend": 0, "price_bp": 0}], "greater than 0"),
    ],
)  # fmt: skip
def test_a_broken_ladder_is_refused(levels: list[dict[str, object]], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SpendLadder.model_validate({"levels": levels})


def test_a_ladder_in_another_currency() -> None:
    ladder = SpendLadder.model_validate(
        {"currency": "USD", "levels": [{"level": "basic", "min_spend": 0, "price_bp": 10_000}]}
    )
    assert spend_status([], 0, ladder).currency == "USD"
    with pytest.raises(ValidationError, match="pattern"):
        SpendLadder.model_validate({"currency": "usd", "levels": ladder.model_dump()["levels"]})


# --- against the definitions, transcribed as plainly as they read ---------------------------

AT = T0 + 2 * YEAR
purchase_lists = st.lists(
    st.builds(
        Purchase,
        placed_at=st.integers(AT - LOOKBACK_MS - 3 * DAY, AT + DAY)
        | st.sampled_from([AT, AT - WINDOW_MS, AT - WINDOW_MS + 1, AT - LOOKBACK_MS + 1]),
        net=st.integers(0, 3_000_000),
    ),
    max_size=12,
)
moments = st.integers(AT - WINDOW_MS, AT)


def rank(level: str) -> int:
    return [lv.level for lv in LADDER.levels].index(level)


def by_definition(purchases: list[Purchase], at: int) -> tuple[str, int, int | None]:
    real = [p for p in purchases if p.net > 0]

    def rolling(t: int) -> int:
        return sum(p.net for p in real if t - WINDOW_MS < p.placed_at <= t)

    def earned(p: Purchase) -> int:
        return max(i for i, lv in enumerate(LADDER.levels) if rolling(p.placed_at) >= lv.min_spend)

    year = [p for p in real if at - WINDOW_MS < p.placed_at <= at]
    top = max((earned(p) for p in year), default=0)
    holds = [p.placed_at + WINDOW_MS for p in year if earned(p) == top]
    return LADDER.levels[top].level, rolling(at), max(holds) if top else None


@given(purchase_lists, moments)
def test_the_rules_agree_with_their_definition(purchases: list[Purchase], at: int) -> None:
    # The definition reads every purchase; the rules only the two years the store returns.
    status = spend_status(purchases, at, LADDER)
    assert (status.level, status.rolling_spend, status.held_until) == by_definition(purchases, at)
    assert rank(status.level) >= LADDER.rank_for(status.rolling_spend)
    assert status.spend_to_next is None or status.spend_to_next > 0
    if status.held_until is not None:
        assert at < status.held_until <= at + WINDOW_MS


@given(purchase_lists, moments, st.integers(AT - WINDOW_MS, AT), st.integers(1, 3_000_000))
def test_buying_never_lowers_and_a_refund_never_raises(
    purchases: list[Purchase], at: int, when: int, amount: int
) -> None:
    before = rank(spend_status(purchases, at, LADDER).level)
    assert rank(spend_status([*purchases, Purchase(when, amount)], at, LADDER).level) >= before
    if purchases:
        first, *rest = purchases
        refunded = Purchase(first.placed_at, max(0, first.net - amount))
        assert rank(spend_status([refunded, *rest], at, LADDER).level) <= before


# --- super membership -------------------------------------------------------------------------


def membership(at: int, terms: list[tuple[int, int]]) -> tuple[bool, int | None, int | None]:
    status = super_membership_status([Term(*t) for t in terms], at)
    return status.active, status.since, status.expires_at


def test_without_memberships_she_is_no_super_member() -> None:
    assert membership(5, []) == (False, None, None)


def test_a_membership_covers_from_its_start_to_before_its_expiry() -> None:
    year = [(day(0), day(365))]
    assert membership(day(0) - 1, year) == (False, None, None)
    assert membership(day(0), year) == (True, day(0), day(365))
    assert membership(day(365) - 1, year) == (True, day(0), day(365))
    assert membership(day(365), year) == (False, None, day(365))
    assert membership(day(900), year) == (False, None, day(365))


def test_a_renewal_bought_ahead_carries_the_expiry_on() -> None:
    terms = [(day(0), day(365)), (day(365), day(730))]
    assert membership(day(10), terms) == (True, day(0), day(730))
    assert membership(day(400), terms) == (True, day(0), day(730))
    overlapping = [(day(0), day(365)), (day(300), day(665))]
    assert membership(day(10), overlapping) == (True, day(0), day(665))


def test_a_gap_ends_the_run() -> None:
    terms = [(day(0), day(365)), (day(400), day(765))]
    assert membership(day(10), terms) == (True, day(0), day(365))
    assert membership(day(380), terms) == (False, None, day(365))
    assert membership(day(400), terms) == (True, day(400), day(765))
    assert membership(day(800), terms) == (False, None, day(765))


def test_a_membership_that_has_not_started_does_not_count() -> None:
    assert membership(day(10), [(day(100), day(465))]) == (False, None, None)


term_lists = st.lists(
    st.tuples(st.integers(0, 60), st.integers(1, 30)).map(lambda t: (t[0], t[0] + t[1])),
    max_size=6,
)


@given(term_lists, st.integers(0, 100))
def test_membership_agrees_with_coverage(terms: list[tuple[int, int]], at: int) -> None:
    def covered(t: int) -> bool:
        return any(s <= t < e for s, e in terms)

    active, since, expires_at = membership(at, terms)
    assert active == covered(at)
    if active:
        assert since is not None and expires_at is not None
        assert all(covered(t) for t in range(since, expires_at))
        assert not covered(since - 1) and not covered(expires_at)
    else:
        ended = [e for _, e in terms if e <= at]
        assert since is None and expires_at == (max(ended) if ended else None)


POINTS_LADDER = DEFAULT_SPEND_LADDER.model_copy(
    update={
        "levels": (
            DEFAULT_SPEND_LADDER.levels[0],
            DEFAULT_SPEND_LADDER.levels[1].model_copy(update={"min_points": 8_000}),
            *DEFAULT_SPEND_LADDER.levels[2:],
        )
    }
)


def test_a_level_may_also_be_reached_by_points_over_the_year() -> None:
    """v1 at 5,000 yuan or 8,000 points (the sources' upgrade): 5,000 points on day 10 and
    3,000 on day 100 reach 8,000 on day 100; she holds v1 until day 465, though she spent
    little. A take-back of 500 on day 50 would have left 7,500: no v1. Redemptions and
    expiry are no gains and never lower it."""
    purchases = [buy(80, 10)]
    gains = [PointsGain(day(10), 5_000), PointsGain(day(100), 3_000)]
    assert spend_status(purchases, day(99), POINTS_LADDER, gains).level == "v0"
    reached = spend_status(purchases, day(100), POINTS_LADDER, gains)
    assert (reached.level, reached.held_until) == ("v1", day(100) + YEAR)
    assert (reached.next_level, reached.spend_to_next) == ("v2", 1_000_000 - 8_000)  # by spend
    assert spend_status(purchases, day(464), POINTS_LADDER, gains).level == "v1"
    assert spend_status(purchases, day(465), POINTS_LADDER, gains).level == "v0"
    taken = [*gains, PointsGain(day(50), -500)]
    assert spend_status(purchases, day(100), POINTS_LADDER, taken).level == "v0"
    # The same points on a ladder without min_points change nothing.
    assert spend_status(purchases, day(100), LADDER, gains).level == "v0"


def test_min_points_are_refused_on_the_base_level_and_out_of_order() -> None:
    levels = [level.model_dump() for level in DEFAULT_SPEND_LADDER.levels]
    with pytest.raises(ValidationError, match="takes no min_points"):
        SpendLadder.model_validate({"levels": [{**levels[0], "min_points": 1}, *levels[1:]]})
    with pytest.raises(ValidationError, match="min_points must be strictly increasing"):
        SpendLadder.model_validate(
            {
                "levels": [
                    levels[0],
                    {**levels[1], "min_points": 9},
                    {**levels[2], "min_points": 9},
                    *levels[3:],
                ]
            }
        )
