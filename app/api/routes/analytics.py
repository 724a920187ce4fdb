"""Growth analytics over members and orders: repurchase cohorts and sales concentration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import NetworkReaders, StoreDep
from app.api.problems import problem_responses
from app.domain.units import Currency, EpochMs
from app.services import analytics
from app.services.analytics import Cohorts, Concentration

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])


@router.get(
    "/cohorts",
    dependencies=[NetworkReaders],
    responses=problem_responses(401, 403, 422),
)
def get_cohorts(
    store: StoreDep,
    from_: Annotated[EpochMs, Query(alias="from", description="joined_at at or after (epoch ms)")],
    to: Annotated[EpochMs, Query(description="joined_at before (epoch ms)")],
) -> Cohorts:
    """Repurchase cohorts of the members who joined in the window, by UTC join month: buyers,
    next-month and sixth-month repurchase, first purchase within 7 days and second within 30
    days, as fractions of each cohort's members. A purchase is an order she bought that is not
    refunded in full. The window may span at most 24 calendar months (MAX_WINDOW_MONTHS;
    422 beyond)."""
    return analytics.get_cohorts(store=store, from_=from_, to=to)


@router.get(
    "/concentration",
    dependencies=[NetworkReaders],
    responses=problem_responses(401, 403, 422),
)
def get_concentration(
    store: StoreDep,
    from_: Annotated[EpochMs, Query(alias="from", description="placed_at at or after (epoch ms)")],
    to: Annotated[EpochMs, Query(description="placed_at before (epoch ms)")],
    currency: Annotated[
        Currency | None,
        Query(description="Count only orders in this currency; required when there are several"),
    ] = None,
) -> Concentration:
    """How concentrated the window's sales are: net of refunds, credited to the buyer, the
    share of all net sales made by the top 20% of the members with net sales."""
    return analytics.get_concentration(store=store, from_=from_, to=to, currency=currency)
