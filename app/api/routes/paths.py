"""How two members are connected."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import NetworkReaders, StoreDep
from app.api.problems import problem_responses
from app.domain.members import MemberId
from app.domain.paths import DEFAULT_BUDGET, DEFAULT_MAX_LENGTH, MAX_LENGTH, MemberPath
from app.services import paths as service

router = APIRouter(prefix="/v1/paths", tags=["members"])


@router.get(
    "",
    dependencies=[NetworkReaders],
    response_model=MemberPath,
    responses=problem_responses(401, 403, 404, 422),
)
def get_path(
    store: StoreDep,
    from_: Annotated[MemberId, Query(alias="from", description="One member", examples=["m12"])],
    to: Annotated[MemberId, Query(description="The other member", examples=["m4711"])],
    max_length: Annotated[
        int,
        Query(
            ge=1, le=MAX_LENGTH, description="Steps at most (member to circle is 1)", examples=[4]
        ),
    ] = DEFAULT_MAX_LENGTH,
) -> MemberPath:
    """A shortest path between two members through invitations (either way) and shared
    circles, at most `max_length` steps: the members and circles on it, in order. 404 when
    there is none within the bound (or the search read its budget of nodes first)."""
    return service.connection(
        store=store, from_id=from_, to_id=to, max_length=max_length, budget=DEFAULT_BUDGET
    )
