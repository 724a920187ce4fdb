"""A member's points (积分): balance with what expires soon, history, grants, redemptions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response

from app.api.deps import NowDep, PointsReaders, StoreDep, Writers
from app.api.problems import problem_responses
from app.domain.members import MemberId
from app.domain.plans import DAY_MS
from app.domain.points import (
    GrantCreate,
    PointsBalance,
    PointsEntry,
    PointsHistory,
    RedemptionCreate,
)
from app.domain.units import EpochMsQuery
from app.services import points as service

router = APIRouter(prefix="/v1/members/{member_id}/points", tags=["points"])
MemberIdPath = Annotated[MemberId, Path(description="The member's external id", examples=["m12"])]
EXPIRING_DAYS = 30


@router.get("", dependencies=[PointsReaders], responses=problem_responses(401, 403, 404, 422))
def points_balance(
    member_id: MemberIdPath,
    store: StoreDep,
    now: NowDep,
    at: Annotated[
        EpochMsQuery | None,
        Query(
            description="The moment to answer for; default now",
            examples=["2026-12-01T00:00:00+08:00"],
        ),
    ] = None,
    expiring_days: Annotated[
        int,
        Query(ge=0, le=3660, description="Expiring soon: within this many days", examples=[30]),
    ] = EXPIRING_DAYS,
) -> PointsBalance:
    """Her balance (negative while a take-back waits for earnings to net it), the lots she
    holds oldest first, her totals, and the points that expire within `expiring_days`."""
    moment = now if at is None else at
    return service.points_balance(
        store=store, member_id=member_id, at=moment, within_ms=expiring_days * DAY_MS
    )


@router.get(
    "/history", dependencies=[PointsReaders], responses=problem_responses(401, 403, 404, 422)
)
def points_history(
    member_id: MemberIdPath,
    store: StoreDep,
    cursor: Annotated[
        str | None,
        # The page after entry po:o9001 of 2026-01-01T00:00:00Z.
        Query(
            description="next_cursor of the previous page",
            examples=["WzE3NjcyMjU2MDAwMDAsInBvOm85MDAxIl0"],
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE, examples=[50])] = 100,
) -> PointsHistory:
    """Her points entries by event time: earned by orders, granted, redeemed, taken back."""
    return service.points_history(store=store, member_id=member_id, cursor=cursor, limit=limit)


@router.post(
    "/grants",
    status_code=201,
    dependencies=[Writers],
    responses={
        200: {"model": PointsEntry, "description": "Already granted (a retry): nothing written"},
        **problem_responses(401, 403, 404, 409, 413, 422),
    },
)
def grant_points(
    member_id: MemberIdPath,
    request: Annotated[
        GrantCreate,
        Body(
            openapi_examples={
                "phone": {
                    "summary": "She bound her phone (the plan's grants table says how much)",
                    "value": {"action": "bind_phone", "id": "g-7f3a"},
                },
                "card": {
                    "summary": "She claimed her member card, at a given moment",
                    "value": {
                        "action": "claim_member_card",
                        "id": "g-7f3b",
                        "at": "2026-11-02T20:15:00+08:00",
                    },
                },
            }
        ),
    ],
    store: StoreDep,
    now: NowDep,
    response: Response,
) -> PointsEntry:
    """Grants the plan's points for a profile action, once per member and action: the same
    id again is a retry (200, the first answer); the action again under another id a 409."""
    entry, created = service.grant_points(
        store=store, member_id=member_id, request=request, now=now
    )
    if not created:
        response.status_code = 200
    return entry


@router.post(
    "/redemptions",
    status_code=201,
    dependencies=[Writers],
    responses={
        200: {"model": PointsEntry, "description": "Already redeemed (a retry): nothing written"},
        **problem_responses(401, 403, 404, 409, 413, 422),
    },
)
def redeem_points(
    member_id: MemberIdPath,
    request: Annotated[
        RedemptionCreate,
        Body(
            openapi_examples={
                "voucher": {
                    "summary": "500 points for a 5-yuan voucher (at 100 points = 100 fen)",
                    "value": {"id": "x-19", "points": 500, "for": "5-yuan voucher"},
                }
            }
        ),
    ],
    store: StoreDep,
    now: NowDep,
    response: Response,
) -> PointsEntry:
    """Spends her points now, oldest first, at the plan's rate (`value`, in minor units);
    refused (409) beyond her balance. The same id again is a retry."""
    entry, created = service.redeem_points(
        store=store, member_id=member_id, request=request, now=now
    )
    if not created:
        response.status_code = 200
    return entry
