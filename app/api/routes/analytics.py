"""Growth analytics over members and orders: repurchase cohorts and sales concentration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.csv_pages import CSV_RESPONSES, page_or_csv
from app.api.deps import NetworkReaders, NowDep, StoreDep
from app.api.problems import problem_responses
from app.domain.dashboard import DEFAULT_MONTHS, MAX_MONTHS, Dashboard
from app.domain.units import Currency, EpochMsQuery
from app.services import analytics
from app.services.analytics import Cohorts, Concentration

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])


@router.get(
    "/cohorts",
    dependencies=[NetworkReaders],
    response_model=Cohorts,
    responses={**problem_responses(401, 403, 422), **CSV_RESPONSES},
)
def get_cohorts(
    request: Request,
    store: StoreDep,
    now: NowDep,
    from_: Annotated[
        EpochMsQuery | None,
        Query(
            alias="from",
            description="joined_at at or after; default: 12 months before `to`",
            examples=["2026-01-01T00:00:00+08:00"],
        ),
    ] = None,
    to: Annotated[
        EpochMsQuery | None,
        Query(
            description="joined_at before; default: 12 months after `from`",
            examples=["2027-01-01T00:00:00+08:00"],
        ),
    ] = None,
) -> Cohorts | Response:
    """Repurchase cohorts of the members who joined in the window, by UTC join month: buyers,
    next-month and sixth-month repurchase, first purchase within 7 days and second within 30
    days, as fractions of each cohort's members. A purchase is an order she bought that is not
    refunded in full. The window may span at most 24 calendar months (MAX_WINDOW_MONTHS;
    422 beyond). Without `from` and `to`: the last 12 calendar months, in UTC, the current
    one included."""
    return page_or_csv(
        request,
        analytics.get_cohorts(store=store, from_=from_, to=to, now=now),
        rows="cohorts",
        name="cohorts",
    )


@router.get(
    "/concentration",
    dependencies=[NetworkReaders],
    responses=problem_responses(401, 403, 422),
)
def get_concentration(
    store: StoreDep,
    now: NowDep,
    from_: Annotated[
        EpochMsQuery | None,
        Query(
            alias="from",
            description="placed_at at or after; default: 30 days before `to`",
            examples=["2026-11-01T00:00:00+08:00"],
        ),
    ] = None,
    to: Annotated[
        EpochMsQuery | None,
        Query(
            description="placed_at before; default: 30 days after `from`",
            examples=["2026-12-01T00:00:00+08:00"],
        ),
    ] = None,
    currency: Annotated[
        Currency | None,
        Query(
            description="Count only sales in this currency; required when there are several",
            examples=["CNY"],
        ),
    ] = None,
) -> Concentration:
    """How concentrated the window's sales are: net of refunds, credited to the buyer, the
    share of all net sales made by the top 20% of the members with net sales. Without `from`
    and `to`: the last 30 days, up to and including now."""
    return analytics.get_concentration(store=store, from_=from_, to=to, now=now, currency=currency)


@router.get(
    "/dashboard",
    dependencies=[NetworkReaders],
    responses=problem_responses(401, 403, 422),
)
def get_dashboard(
    store: StoreDep,
    now: NowDep,
    at: Annotated[
        EpochMsQuery | None,
        Query(
            description="A moment in the last month shown; default now", examples=[1767225600000]
        ),
    ] = None,
    months: Annotated[int, Query(ge=1, le=MAX_MONTHS, examples=[6])] = DEFAULT_MONTHS,
) -> Dashboard:
    """The landing page's figures: members, paid members and paid conversion; per UTC month
    (the `months` ending with the one holding `at`) new and running members and paid
    members, net sales and commissions per currency; new members in each of the last 12 ISO
    weeks."""
    return analytics.get_dashboard(store=store, at=now if at is None else at, months=months)
