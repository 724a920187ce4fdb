"""A member's earnings, and the compliance report auditors file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.api.deps import Auditors, EarningsReaders, NowDep, StoreDep
from app.api.problems import problem_responses
from app.api.routes.ledger import BY_DESCRIPTION
from app.domain.ledger import TimeBasis, TimeWindow
from app.domain.members import MemberId
from app.domain.units import EpochMsQuery
from app.services import compliance, earnings
from app.services.compliance import ComplianceReport
from app.services.earnings import Earnings

router = APIRouter(prefix="/v1")


@router.get(
    "/members/{member_id}/earnings",
    tags=["members"],
    dependencies=[EarningsReaders],
    responses=problem_responses(401, 403, 404, 422),
)
def get_earnings(
    member_id: Annotated[MemberId, Path(description="The member's external id", examples=["m12"])],
    store: StoreDep,
    from_: Annotated[
        EpochMsQuery | None,
        Query(alias="from", description="`by` at or after", examples=["2026-11-01T00:00:00+08:00"]),
    ] = None,
    to: Annotated[
        EpochMsQuery | None,
        Query(description="`by` before", examples=["2026-12-01T00:00:00+08:00"]),
    ] = None,
    by: Annotated[TimeBasis, Query(description=BY_DESCRIPTION, examples=["event_at"])] = "event_at",
) -> Earnings:
    """Her net earnings per currency: by rule kind, by status and by calendar month (UTC)
    of each entry's event time (or write time, `by=created_at`), refund reversals netted
    in, all in integer minor units."""
    return earnings.get_earnings(store=store, member_id=member_id, from_=from_, to=to, by=by)


@router.get(
    "/compliance/report",
    tags=["compliance"],
    dependencies=[Auditors],
    responses=problem_responses(401, 403, 422),
)
def get_compliance_report(
    store: StoreDep,
    now: NowDep,
    from_: Annotated[
        EpochMsQuery | None,
        Query(alias="from", description="`by` at or after", examples=["2026-01-01T00:00:00+08:00"]),
    ] = None,
    to: Annotated[
        EpochMsQuery | None,
        Query(description="`by` before", examples=["2027-01-01T00:00:00+08:00"]),
    ] = None,
    by: Annotated[
        TimeBasis, Query(description=BY_DESCRIPTION, examples=["created_at"])
    ] = "event_at",
) -> ComplianceReport:
    """Network depth and concentration, the deepest hop any payout reached against the hard
    level cap, payouts split recruitment- vs sales-linked and own consumption vs outside
    customers, and payouts to a buyer on her own order. The ledger parts count the entries
    in the window (by event time unless `by=created_at`; default: the whole ledger)."""
    window = TimeWindow(
        from_=from_ if from_ is not None else 0,
        to=to if to is not None else TimeWindow().to,
        by=by,
    )
    return compliance.compliance_report(store=store, now=now, window=window)
