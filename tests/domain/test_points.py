"""The points rules (app/domain/points.py): expiry at the month's end, take-backs that add up
to what an order earned, and the fold of a member's entries checked against a plain
recomputation point by point."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.domain.ledger import OrderCreate, RefundCreate
from app.domain.plans import Plan
from app.domain.points import (
    NEVER,
    PointsEntry,
    PointsRules,
    earn_entry,
    expires_at,
    month_start,
    overdrawn,
    points_state,
    redemption_value,
    take_back_entry,
    taken_back,
)
from app.domain.units import iso_epoch_ms

RULES = PointsRules.model_validate(
    {"earn": {"points": 1, "per": 100}, "grants": {"bind_phone": 200},
     "redemption": {"points": 100, "value": 100}}
)  # fmt: skip


def plan(rules: PointsRules | None) -> Plan:
    return Plan(version="v", effective_from=0, currency="CNY", max_levels=0, rate_ceiling_bp=0,
                rules=[], points=rules)  # fmt: skip


def order(amount: int) -> OrderCreate:
    return OrderCreate(id="o1", buyer_id="ann", amount=amount, currency="CNY", placed_at=0)


def t(text: str) -> int:
    return iso_epoch_ms(text)


@pytest.mark.parametrize(
    ("earned", "years", "gone"),
    [
        ("2026-01-01T00:00:00Z", 1, "2027-02-01T00:00:00Z"),
        ("2026-01-31T23:59:59.999Z", 1, "2027-02-01T00:00:00Z"),
        ("2026-02-01T00:00:00Z", 1, "2027-03-01T00:00:00Z"),
        ("2026-12-15T10:00:00Z", 1, "2028-01-01T00:00:00Z"),  # December: the next year's
        ("2028-02-29T12:00:00Z", 1, "2029-03-01T00:00:00Z"),  # a leap day's month
        ("2026-06-30T23:00:00-02:00", 2, "2028-08-01T00:00:00Z"),  # July in UTC
    ],
)
def test_points_expire_at_the_end_of_their_month_years_later(
    earned: str, years: int, gone: str
) -> None:
    assert expires_at(t(earned), years) == t(gone)


def test_expiry_past_year_9999_is_never() -> None:
    assert expires_at(t("9999-06-01T00:00:00Z"), 1) == NEVER


def test_earning_floors_and_a_plan_without_earn_earns_nothing() -> None:
    assert RULES.earn is not None and RULES.earn.points_for(19_999) == 199
    hundred_per_ten_yuan = PointsRules.model_validate({"earn": {"points": 100, "per": 1000}})
    assert hundred_per_ten_yuan.earn is not None
    assert hundred_per_ten_yuan.earn.points_for(19_999) == 1_999

    def earned(rules: PointsRules | None, amount: int) -> PointsEntry | None:
        return earn_entry(order(amount), plan(rules), now=0)

    assert earned(RULES, 99) is None  # 0.99 yuan earns 0: nothing written
    assert earned(PointsRules(), 10**6) is None
    assert earned(None, 10**6) is None


def test_redemption_is_in_whole_steps() -> None:
    assert redemption_value(RULES, 500) == 500
    assert redemption_value(RULES, 150) is None
    assert redemption_value(PointsRules(), 100) is None


@pytest.mark.parametrize(
    "section",
    [
        {"earn": {"points": 0, "per": 100}},
        {"earn": {"points": 1, "per": 0}},
        {"earn": {"points": "1", "per": 100}},
        {"grants": {"Bind Phone": 1}},
        {"grants": {"bind_phone": 0}},
        {"redemption": {"points": 100, "value": 1.5}},
        {"expiry_years": 0},
        {"expiry_years": 11},
        {"expires": 1},
    ],
)
def test_bad_points_sections_are_refused(section: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PointsRules.model_validate(section)


@given(
    earned=st.integers(0, 10**6),
    amount=st.integers(1, 10**9),
    cuts=st.lists(st.integers(1, 10**9), max_size=6),
)
def test_take_backs_add_up_to_what_the_order_earned(
    earned: int, amount: int, cuts: list[int]
) -> None:
    """Each refund takes the step it adds to floor(E * R / A): never negative, never more
    than the share refunded so far, and E in all once the order is refunded in full."""
    points = [c % amount + 1 for c in cuts]
    refunds, refunded = [], 0
    for cut in points:
        if refunded + cut >= amount:
            break
        refunds.append(cut)
        refunded += cut
    refunds.append(amount - refunded)
    total, before = 0, 0
    for refund in refunds:
        step = taken_back(earned, amount, before + refund) - taken_back(earned, amount, before)
        assert step >= 0
        total += step
        before += refund
        assert total == earned * before // amount
    assert total == earned


def test_take_back_entries_are_negative_and_none_when_nothing_is_taken() -> None:
    def taken(before: int, amount: int) -> int | None:
        refund = RefundCreate(id="r1", amount=amount, refunded_at=5)
        found = take_back_entry(order(40_050), before, refund, plan(RULES), now=5)
        return None if found is None else found.points

    assert taken(0, 30_000) == -299  # floor(400 * 30,000 / 40,050)
    assert taken(30_000, 10_050) == -101  # 400 in all
    assert taken(0, 50) is None  # floor(400 * 50 / 40,050) = 0: nothing written


def entry(kind: str, points: int, at: int, years: int = 1, entry_id: str = "") -> PointsEntry:
    return PointsEntry(
        id=entry_id or f"{kind}:{at}:{points}",
        member_id="ann",
        kind=kind,  # type: ignore[arg-type]
        points=points,
        event_at=at,
        created_at=at,
        expires_at=expires_at(at, years) if points > 0 else None,
        plan_version="v",
    )


def test_the_fold_consumes_oldest_first_and_nets_debt_with_earnings() -> None:
    jan, mar = t("2026-01-10T00:00:00Z"), t("2026-03-10T00:00:00Z")
    entries = [
        entry("earn", 500, jan),
        entry("earn", 300, mar),
        entry("redemption", -600, t("2026-06-01T00:00:00Z")),
        entry("take_back", -400, t("2026-07-01T00:00:00Z")),  # 200 left: owes 200
        entry("earn", 250, t("2026-08-01T00:00:00Z")),  # pays the 200, keeps 50
    ]
    july = points_state(entries, t("2026-07-02T00:00:00Z"))
    assert (july.balance, july.debt, july.lots) == (-200, 200, [])
    august = points_state(entries, t("2026-08-02T00:00:00Z"))
    assert (august.balance, august.debt) == (50, 0)
    assert [(lot.earned_in, lot.points) for lot in august.lots] == [
        (month_start(t("2026-08-01T00:00:00Z")), 50)
    ]


def test_a_later_plan_with_a_shorter_expiry_is_consumed_first() -> None:
    """Oldest first means soonest expiring: a March lot of a one-year plan expires before a
    January lot of a two-year plan, so it is spent first."""
    jan, mar = t("2026-01-10T00:00:00Z"), t("2026-03-10T00:00:00Z")
    entries = [entry("earn", 100, jan, years=2), entry("earn", 100, mar, years=1),
               entry("redemption", -100, t("2026-04-01T00:00:00Z"))]  # fmt: skip
    state = points_state(entries, t("2026-04-02T00:00:00Z"))
    assert [lot.earned_in for lot in state.lots] == [month_start(jan)]


def test_overdrawn_names_a_redemption_beyond_the_balance_but_not_a_later_take_back() -> None:
    jan = t("2026-01-10T00:00:00Z")
    fine = [entry("earn", 500, jan), entry("redemption", -500, jan + 1, entry_id="x1"),
            entry("take_back", -500, jan + 2)]  # fmt: skip
    assert overdrawn(fine) == []
    beyond = [*fine, entry("redemption", -100, jan + 3, entry_id="x2")]
    beyond[-1] = beyond[-1].model_copy(update={"seq": 2})
    assert [(e.id, balance) for e, balance in overdrawn(beyond)] == [("x2", 0)]


MONTH = 30 * 86_400_000
kinds = st.sampled_from(["earn", "grant", "redemption", "take_back"])


@st.composite
def histories(draw: st.DrawFn) -> list[PointsEntry]:
    start = t("2026-01-01T00:00:00Z")
    rows = draw(
        st.lists(
            st.tuples(
                kinds, st.integers(1, 40), st.integers(0, 40 * MONTH), st.sampled_from([1, 2])
            ),
            max_size=25,
        )
    )
    return [
        entry(kind, points if kind in ("earn", "grant") else -points, start + at, years, f"e{i}")
        for i, (kind, points, at, years) in enumerate(rows)
    ]


def recount(entries: list[PointsEntry], at: int) -> tuple[int, int]:
    """The balance and the points expired, one point at a time: each point kept as its
    expiry, a spend takes the soonest-expiring points, what no point covers is owed and paid
    by the next points earned."""
    held: list[int] = []
    owed = expired = 0
    for e in sorted(entries, key=lambda e: (e.event_at, e.created_at, e.id)):
        if e.event_at > at:
            break
        expired += sum(1 for expiry in held if expiry <= e.event_at)
        held = [expiry for expiry in held if expiry > e.event_at]
        if e.points > 0:
            paying = min(owed, e.points)
            owed -= paying
            held += [e.expires_at or NEVER] * (e.points - paying)
        else:
            held.sort()
            taking = min(-e.points, len(held))
            held = held[taking:]
            owed += -e.points - taking
    expired += sum(1 for expiry in held if expiry <= at)
    return sum(1 for expiry in held if expiry > at) - owed, expired


@settings(max_examples=300, deadline=None)
@given(entries=histories(), probe=st.integers(0, 70 * MONTH))
def test_the_fold_equals_a_point_by_point_recount(entries: list[PointsEntry], probe: int) -> None:
    at = t("2026-01-01T00:00:00Z") + probe
    state = points_state(entries, at)
    assert (state.balance, state.expired) == recount(entries, at)
    gains = state.earned + state.granted
    assert state.balance == gains - state.redeemed - state.taken_back - state.expired
    assert state.balance == sum(lot.points for lot in state.lots) - state.debt
    assert all(lot.points > 0 and lot.expires_at > at for lot in state.lots)
    assert state.debt == 0 or state.lots == []  # a debt is paid before a lot is kept
