"""Abuse signals: the latest run's signals by kind, and one member's risk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import NetworkReaders, StoreDep
from app.api.problems import problem_responses
from app.api.routes.members import MemberIdPath
from app.domain.signals import SignalKind
from app.domain.units import EpochMsQuery
from app.services import signals as service
from app.services.signals import MAX_LIMIT, MemberRisk, SignalPage

router = APIRouter(prefix="/v1", tags=["risk"])


@router.get(
    "/risk/signals",
    dependencies=[NetworkReaders],
    responses=problem_responses(401, 403, 422),
)
def list_signals(
    store: StoreDep,
    kind: Annotated[SignalKind | None, Query(examples=["shared_identity"])] = None,
    since: Annotated[
        EpochMsQuery | None,
        Query(
            description="Only signals whose latest evidence is at or after this time",
            examples=["2026-11-01T00:00:00+08:00"],
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, examples=[50])] = 50,
    cursor: Annotated[
        str | None,
        # The page after signal burst:5b1f… of score 0.8.
        Query(
            description="next_cursor of the previous page",
            examples=["WzgwMDAsImJ1cnN0OjViMWYzYzIwYjZkNjRhYTk5YmE4Il0"],
        ),
    ] = None,
) -> SignalPage:
    """The latest `POST /v1/jobs/signals` run's signals, strongest first, each with the
    members it names, its evidence and a score from 0 to 1."""
    return service.signals_page(
        store=store, kind=kind, since=since or 0, limit=limit, cursor=cursor
    )


@router.get(
    "/members/{member_id}/risk",
    dependencies=[NetworkReaders],
    responses=problem_responses(401, 403, 404, 422),
)
def member_risk(member_id: MemberIdPath, store: StoreDep) -> MemberRisk:
    """Every signal of the latest run naming her, her score (the strongest) and whether
    payouts hold her."""
    return service.member_risk(store=store, member_id=member_id)
