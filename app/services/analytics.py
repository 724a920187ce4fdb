"""Growth analytics: repurchase cohorts by join month and how concentrated sales are. The
engine returns one row per member; the calendar and the shares are computed in
app/domain/analytics.py."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from app.core.errors import InvalidInput
from app.domain.analytics import (
    MAX_WINDOW_MONTHS,
    Cohort,
    MemberActivity,
    cohort_window,
    cohorts,
    concentration_window,
    purchase_horizon,
    top_share,
    window_months,
)
from app.domain.dashboard import (
    Dashboard,
    DashboardMonth,
    DashboardWeek,
    month_bounds,
    month_labels,
    running_totals,
    week_bounds,
)
from app.domain.units import iso_moment
from app.store.port import GraphStore


class Cohorts(BaseModel):
    cohorts: list[Cohort] = Field(
        description="One cohort per UTC join month in the window, oldest first; months "
        "without joiners are left out"
    )


class Concentration(BaseModel):
    currency: str | None = Field(
        description="The currency the sales are in; null when nothing was sold (no order in "
        "the window is left with anything after its refunds)"
    )
    members_with_sales: int = Field(description="Buyers whose net sales in the window are > 0")
    top20_share: float = Field(
        description="Share (0-1) of all net sales made by the ceil(0.2 x members_with_sales) "
        "buyers with the most; 0 when nobody bought"
    )


def _check_window(from_: int, to: int) -> None:
    if to <= from_:
        raise InvalidInput(
            f"to ({iso_moment(to)}) must be after from ({iso_moment(from_)})", field="to"
        )


def sales_currency(found: Iterable[str], asked: str | None) -> str | None:
    """The one currency a figure over sales is in: `asked` when given, else the only one the
    sales were `found` in (None: no sales). Sales in several need `asked`: adding fen to
    cents means nothing."""
    if asked is not None:
        return asked
    currencies = sorted(set(found))
    if len(currencies) > 1:
        raise InvalidInput(
            f"the window's sales are in {', '.join(currencies)}; name one with currency",
            field="currency",
            currencies=currencies,
        )
    return currencies[0] if currencies else None


def get_cohorts(*, store: GraphStore, from_: int | None, to: int | None, now: int) -> Cohorts:
    """Cohorts of the members who joined in [from_, to); an omitted bound is filled in as
    `cohort_window` says."""
    from_, to = cohort_window(from_, to, now)
    _check_window(from_, to)
    if window_months(from_, to) > MAX_WINDOW_MONTHS:
        raise InvalidInput(
            f"the window from {iso_moment(from_)} to {iso_moment(to)} spans more than "
            f"{MAX_WINDOW_MONTHS} calendar months",
            field="to",
        )
    rows = store.cohort_members(from_, to, purchase_horizon(to))
    return Cohorts(cohorts=cohorts(MemberActivity(joined, times) for joined, times in rows))


def get_concentration(
    *, store: GraphStore, from_: int | None, to: int | None, now: int, currency: str | None = None
) -> Concentration:
    """How concentrated the net sales of the orders placed in [from_, to) are; an omitted
    bound is filled in as `concentration_window` says."""
    from_, to = concentration_window(from_, to, now)
    _check_window(from_, to)
    rows = store.net_sales(from_, to)
    chosen = sales_currency({row_currency for _, row_currency, _ in rows}, currency)
    nets = [net for _, row_currency, net in rows if row_currency == chosen]
    return Concentration(currency=chosen, members_with_sales=len(nets), top20_share=top_share(nets))


def get_dashboard(*, store: GraphStore, at: int, months: int) -> Dashboard:
    """Members, paid members and conversion at the end of the month holding `at`; per month
    (the `months` ending with it) new and running members and paid members, net sales and
    commissions; new members in each of the last 12 ISO weeks."""
    bounds = month_bounds(at, months)
    joined_before, paid_before = store.members_before(bounds[0])
    new_members = store.dashboard_counts("joined", bounds)
    new_paid = store.dashboard_counts("paid", bounds)
    members = running_totals(joined_before, new_members)
    paid = running_totals(paid_before, new_paid)
    sales = store.dashboard_money("sales", bounds)
    commission = store.dashboard_money("commission", bounds)
    weeks = week_bounds(at)
    weekly = store.dashboard_counts("joined", weeks)
    return Dashboard(
        at=at,
        members=members[-1],
        paid_members=paid[-1],
        paid_conversion=paid[-1] / members[-1] if members[-1] else 0.0,
        months=[
            DashboardMonth(
                month=label,
                new_members=new_members[k],
                new_paid=new_paid[k],
                members=members[k],
                paid_members=paid[k],
                net_sales=sales[k],
                commission=commission[k],
            )
            for k, label in enumerate(month_labels(bounds))
        ],
        weeks=[
            DashboardWeek(week_start=start, new_members=count)
            for start, count in zip(weeks, weekly, strict=False)
        ],
    )
