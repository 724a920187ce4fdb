"""Circles: groups members belong to (topic, store, region)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request, Response

from app.api.csv_pages import CSV_RESPONSES, page_or_csv
from app.api.deps import GroupWriters, MemberReaders, StoreDep
from app.api.problems import problem_responses
from app.domain.groups import MAX_PAGE, Group, GroupCreate, GroupMembersPage, MemberGroups
from app.domain.members import MemberId
from app.services import groups as service

router = APIRouter(prefix="/v1/groups", tags=["groups"])
# Growth teams curate circles as well as the storefront does.
GroupIdPath = Annotated[MemberId, Path(description="The group's external id", examples=["c12"])]
MemberIdPath = Annotated[MemberId, Path(description="The member's external id", examples=["m12"])]


@router.post(
    "",
    status_code=201,
    dependencies=[GroupWriters],
    responses={
        200: {"model": Group, "description": "Already created (a retry)"},
        **problem_responses(401, 403, 409, 413, 422),
    },
)
def create_group(
    request: Annotated[
        GroupCreate,
        Body(
            openapi_examples={
                "region": {
                    "summary": "A regional circle",
                    "value": {"id": "c12", "kind": "region", "name": "杭州西湖区"},
                },
                "topic": {
                    "summary": "A topic circle",
                    "value": {"id": "c7", "kind": "topic", "name": "母婴好物"},
                },
            }
        ),
    ],
    store: StoreDep,
    response: Response,
) -> Group:
    """Creates a group (201); the same body again returns it with 200; the same id with
    another kind or name is a 409 naming the fields. `kind` is one of topic, store, region,
    other."""
    group, created = service.create_group(store=store, request=request)
    if not created:
        response.status_code = 200
    return group


@router.get(
    "",
    dependencies=[MemberReaders],
    response_model=MemberGroups,
    responses={**problem_responses(401, 403, 404, 422), **CSV_RESPONSES},
)
def list_groups_of_member(
    request: Request,
    store: StoreDep,
    member_id: Annotated[
        MemberId, Query(description="The member whose groups to list", examples=["m12"])
    ],
) -> MemberGroups | Response:
    """The groups a member belongs to, in id order."""
    return page_or_csv(
        request,
        service.groups_of_member(store=store, member_id=member_id),
        rows="items",
        name="groups",
    )


@router.get(
    "/{group_id}", dependencies=[MemberReaders], responses=problem_responses(401, 403, 404, 422)
)
def get_group(group_id: GroupIdPath, store: StoreDep) -> Group:
    """The group with its maintained `members_total`."""
    return service.get_group(store=store, group_id=group_id)


@router.get(
    "/{group_id}/members",
    dependencies=[MemberReaders],
    response_model=GroupMembersPage,
    responses={**problem_responses(401, 403, 404, 422), **CSV_RESPONSES},
)
def list_group_members(
    request: Request,
    group_id: GroupIdPath,
    store: StoreDep,
    cursor: Annotated[
        str | None,
        # The page after m12.
        Query(description="next_cursor of the previous page", examples=["bTEy"]),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, examples=[200])] = 100,
) -> GroupMembersPage | Response:
    """The group's member ids in id order, a page at a time."""
    return page_or_csv(
        request,
        service.list_members(store=store, group_id=group_id, cursor=cursor, limit=limit),
        rows="items",
        name="group-members",
    )


@router.put(
    "/{group_id}/members/{member_id}",
    status_code=201,
    dependencies=[GroupWriters],
    responses={
        200: {"model": Group, "description": "She already was a member: nothing changed"},
        **problem_responses(401, 403, 404, 422),
    },
)
def add_group_member(
    group_id: GroupIdPath, member_id: MemberIdPath, store: StoreDep, response: Response
) -> Group:
    """Adds the member to the group (201, with the group); 200 when she already belongs."""
    if not service.add_member(store=store, group_id=group_id, member_id=member_id):
        response.status_code = 200
    return service.get_group(store=store, group_id=group_id)


@router.delete(
    "/{group_id}/members/{member_id}",
    status_code=204,
    dependencies=[GroupWriters],
    responses=problem_responses(401, 403, 404, 422),
)
def remove_group_member(group_id: GroupIdPath, member_id: MemberIdPath, store: StoreDep) -> None:
    """Removes the member from the group. Idempotent: 204 also when she was not a member
    (or is no member at all); 404 only when the group does not exist."""
    service.remove_member(store=store, group_id=group_id, member_id=member_id)
