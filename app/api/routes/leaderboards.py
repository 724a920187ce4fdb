"""Leaderboards: who invited, converted, grew and sold the most in a period, overall or in
a circle."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.api.csv_pages import CSV_RESPONSES, page_or_csv
from app.api.deps import BoardCacheDep, LadderDep, MemberReaders, NowDep, StoreDep
from app.api.problems import problem_responses
from app.domain.groups import GroupId
from app.domain.leaderboards import (
    BOARD_DESCRIPTIONS,
    DEFAULT_BOARD_LIMIT,
    MAX_BOARD_LIMIT,
    Board,
    Leaderboard,
    Period,
)
from app.domain.units import Currency, EpochMsQuery
from app.services import leaderboards as service

router = APIRouter(prefix="/v1/leaderboards", tags=["leaderboards"])
BOARDS = "; ".join(f"`{board}`: {text}" for board, text in BOARD_DESCRIPTIONS.items())


@router.get(
    "/{board}",
    dependencies=[MemberReaders],
    response_model=Leaderboard,
    responses={**problem_responses(401, 403, 404, 422), **CSV_RESPONSES},
)
def get_leaderboard(
    request: Request,
    board: Annotated[Board, Path(description=BOARDS, examples=["inviters"])],
    store: StoreDep,
    ladder: LadderDep,
    now: NowDep,
    cache: BoardCacheDep,
    period: Annotated[
        Period, Query(description="The UTC calendar period (week: ISO)", examples=["month"])
    ] = "month",
    at: Annotated[
        EpochMsQuery | None,
        Query(description="A moment in the period; default now", examples=[1767225600000]),
    ] = None,
    circle: Annotated[
        GroupId | None, Query(description="Only members of this circle", examples=["c12"])
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_BOARD_LIMIT, examples=[20])] = DEFAULT_BOARD_LIMIT,
    currency: Annotated[
        Currency | None,
        Query(
            description="`sharers` only: add the sales in this currency; required when the "
            "period's sales are in several (422 names them), else the one they are in",
            examples=["CNY"],
        ),
    ] = None,
) -> Leaderboard | Response:
    """The board's best members in the period holding `at`, overall or in a circle: rank,
    value and when she reached it; ties go to whoever reached it first, then by id. The
    `sharers` board's values are money in `currency` (minor units), never added across
    currencies; `currency` on another board is a 422. A board is computed at most every
    REFGRAPH_LEADERBOARD_TTL_S seconds (`computed_at`)."""
    answer = service.cached_leaderboard(
        cache=cache,
        store=store,
        ladder=ladder,
        board=board,
        period=period,
        at=now if at is None else at,
        circle=circle,
        limit=limit,
        currency=currency,
    )
    return page_or_csv(request, answer, rows="items", name=f"leaderboard-{board}")
