"""The auditor's ledger: entries page by page, and the trace of one entry."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from app.api.csv_pages import CSV_RESPONSES, page_or_csv
from app.api.deps import Auditors, StoreDep
from app.api.problems import problem_responses
from app.domain.ledger import ExternalId, LedgerFilter, TimeBasis
from app.domain.members import DerivedId, MemberId
from app.domain.plans import RuleKind
from app.domain.units import EpochMsQuery
from app.services import ledger as service
from app.services.ledger import MAX_PAGE, LedgerPage, Trace

BY_DESCRIPTION = (
    "Which time `from`, `to` and the order go by: `event_at` (the order's placed_at, the "
    "refund's refunded_at, the paid mark's paid_at) or `created_at` (when it was written)"
)

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])


@router.get(
    "",
    dependencies=[Auditors],
    response_model=LedgerPage,
    responses={**problem_responses(401, 403, 422), **CSV_RESPONSES},
)
def list_ledger(
    request: Request,
    store: StoreDep,
    beneficiary_id: Annotated[MemberId | None, Query(examples=["m12"])] = None,
    kind: Annotated[RuleKind | None, Query(examples=["distribution"])] = None,
    status: Annotated[Literal["pending", "available"] | None, Query(examples=["available"])] = None,
    order_id: Annotated[ExternalId | None, Query(examples=["o9001"])] = None,
    from_: Annotated[
        EpochMsQuery | None,
        Query(alias="from", description="`by` at or after", examples=["2026-11-01T00:00:00+08:00"]),
    ] = None,
    to: Annotated[
        EpochMsQuery | None,
        Query(description="`by` before", examples=["2026-12-01T00:00:00+08:00"]),
    ] = None,
    by: Annotated[TimeBasis, Query(description=BY_DESCRIPTION, examples=["event_at"])] = "event_at",
    cursor: Annotated[
        str | None,
        # The page after entry o:o9001:2:1 of 2026-01-01T00:00:00Z.
        Query(
            description="next_cursor of the previous page",
            examples=["WzE3NjcyMjU2MDAwMDAsIm86bzkwMDE6MjoxIl0"],
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, examples=[200])] = 100,
) -> LedgerPage | Response:
    """Entries in the order of their `by` time (when what they pay for happened, by
    default), then id, filtered."""
    where = LedgerFilter(
        beneficiary_id=beneficiary_id,
        kind=kind,
        status=status,
        order_id=order_id,
        from_=from_ if from_ is not None else 0,
        to=to if to is not None else LedgerFilter().to,
        by=by,
    )
    return page_or_csv(
        request,
        service.list_ledger(store=store, where=where, cursor=cursor, limit=limit),
        rows="items",
        name="ledger",
    )


@router.get(
    "/{entry_id}/trace",
    dependencies=[Auditors],
    responses=problem_responses(401, 403, 404, 422),
)
def trace_entry(
    entry_id: Annotated[
        DerivedId,
        # Order o9001's distribution rule (index 2 of the plan), one hop up from the source.
        Path(description="A ledger entry's id", examples=["o:o9001:2:1"]),
    ],
    store: StoreDep,
) -> Trace:
    """Why the entry exists: the order, the plan rule, the beneficiary's tier then, and the
    invitation edges from the source up to the beneficiary (each with its hop)."""
    return service.trace_entry(store=store, entry_id=entry_id)
