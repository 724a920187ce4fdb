"""Genealogy tree views: a member and her downline, a bounded number of levels at a time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from app.api.deps import LadderDep, NetworkReaders, StoreDep
from app.api.problems import problem_responses
from app.domain.members import MemberId
from app.domain.tree import (
    DEFAULT_CHILDREN_LIMIT,
    DEFAULT_DEPTH,
    MAX_CHILDREN_LIMIT,
    MAX_DEPTH,
    TREE_JSON,
    TreeNode,
)
from app.domain.units import EpochMsQuery
from app.services import tree as service

router = APIRouter(prefix="/v1/members", tags=["members"])


@router.get(
    "/{member_id}/tree",
    response_model=TreeNode,
    dependencies=[NetworkReaders],
    responses=problem_responses(401, 403, 404, 422),
)
def get_tree(
    member_id: Annotated[
        MemberId, Path(description="The member at the top of the view", examples=["m12"])
    ],
    store: StoreDep,
    ladder: LadderDep,
    depth: Annotated[
        int,
        Query(ge=1, le=MAX_DEPTH, description="Levels below her; 1 is her children", examples=[3]),
    ] = DEFAULT_DEPTH,
    children_limit: Annotated[
        int,
        Query(
            ge=1, le=MAX_CHILDREN_LIMIT, description="Children per parent, at most", examples=[20]
        ),
    ] = DEFAULT_CHILDREN_LIMIT,
    cursor: Annotated[
        str | None,
        # Her children after m13, whose downline is 12 members.
        Query(
            description="A node's next_cursor: her children after it (use with depth=1)",
            examples=["WzEyLCJtMTMiXQ"],
        ),
    ] = None,
    as_of: Annotated[
        EpochMsQuery | None,
        Query(
            description="The tree as it stood then: who had joined, paid, at which tier",
            examples=["2026-11-01T00:00:00+08:00"],
        ),
    ] = None,
) -> Response:
    """The member and `depth` levels of her downline, each node's children largest downline
    first (then by id).

    Bounded however wide the network: one query per level, each parent's children sorted and
    cut to `children_limit` inside it, and at most 2,000 nodes in a response (the member
    counted), since depth 5 at 500 children could otherwise reach 500^5. Levels fill parent
    by parent in that order; the parent the budget runs out on, and every later parent with
    children, is returned with her children cut (possibly to none) and a `next_cursor`.
    A node with `next_cursor` pages on with `GET /v1/members/{that node}/tree?depth=1&cursor=`.
    Nodes on the last level have no children listed and no cursor: `direct_total` says
    whether there are any. Pages follow the live counters, so a page taken while her downline
    grows may repeat or miss a child whose downline total moved past the cursor.

    With `as_of`, the tree as it stood then (who had joined, who was paid, each one's tier
    and counts at that moment), built from one walk of her downline: it costs what her
    downline weighs, where the live tree reads only the nodes it shows."""
    tree = (
        service.member_tree(
            store=store,
            member_id=member_id,
            depth=depth,
            children_limit=children_limit,
            cursor=cursor,
        )
        if as_of is None
        else service.member_tree_at(
            store=store,
            ladder=ladder,
            member_id=member_id,
            as_of=as_of,
            depth=depth,
            children_limit=children_limit,
            cursor=cursor,
        )
    )
    # Serialised once, straight to JSON: returned as is, FastAPI would turn up to 2,000 nodes
    # into dicts, validate them again and encode those (over half of a wide tree's time).
    # The response model above still documents the body.
    return Response(TREE_JSON.dump_json(tree), media_type="application/json")
