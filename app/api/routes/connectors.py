"""Key connectors: the latest run's top members, with the parts of each score."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.csv_pages import CSV_RESPONSES, page_or_csv
from app.api.deps import NetworkReaders, StoreDep
from app.api.problems import problem_responses
from app.domain.groups import GroupId
from app.services.connectors import MAX_LIMIT, ConnectorPage, SortKey, top_connectors

router = APIRouter(prefix="/v1/connectors", tags=["connectors"])


@router.get(
    "",
    dependencies=[NetworkReaders],
    response_model=ConnectorPage,
    responses={**problem_responses(401, 403, 422), **CSV_RESPONSES},
)
def list_connectors(
    request: Request,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, examples=[20])] = 50,
    circle: Annotated[
        GroupId | None, Query(description="Only members of this circle", examples=["c12"])
    ] = None,
    sort: Annotated[
        SortKey, Query(description="`score` or a part's name", examples=["paid_direct_invites"])
    ] = "score",
) -> ConnectorPage | Response:
    """Members by score (or by one part), each with her rank and the parts of her score,
    from the latest `POST /v1/jobs/connectors` run; `approximate` when betweenness was
    sampled."""
    return page_or_csv(
        request,
        top_connectors(store=store, limit=limit, circle=circle, sort=sort),
        rows="items",
        name="connectors",
    )
