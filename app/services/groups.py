"""Group use cases: create a group, add and remove members, and the reads."""

from __future__ import annotations

import base64
import binascii

from app.core.errors import Conflict, InvalidInput, NotFound
from app.domain.groups import (
    MAX_GROUPS_OF_MEMBER,
    Group,
    GroupCreate,
    GroupMembersPage,
    MemberGroups,
    group_conflicts,
)
from app.store.port import GraphStore


def create_group(*, store: GraphStore, request: GroupCreate) -> tuple[Group, bool]:
    """Returns the group and whether this call created it. The same creation again returns
    the stored group; the same id with another kind or name is a Conflict."""
    [(group, created)] = store.put_groups([request])
    differences = group_conflicts(group, request)
    if differences:
        raise Conflict(
            f"group {request.id} already exists with a different " + ", ".join(differences),
            group_id=request.id,
            conflicting_fields=differences,
        )
    return group, created


def get_group(*, store: GraphStore, group_id: str) -> Group:
    found = store.groups_by_id([group_id])
    if not found:
        raise NotFound(f"group {group_id} does not exist", group_id=group_id)
    return found[0]


def add_member(*, store: GraphStore, group_id: str, member_id: str) -> bool:
    """Whether this call added her (False: she already was a member)."""
    if store.add_group_members([(group_id, member_id)]):
        return True
    # Nothing added: she already belongs, or the group or the member does not exist.
    get_group(store=store, group_id=group_id)
    if not store.get_members([member_id]):
        raise NotFound(f"member {member_id} does not exist", member_id=member_id)
    return False


def remove_member(*, store: GraphStore, group_id: str, member_id: str) -> bool:
    """Whether this call removed her. Removing someone who is not a member (or no member at
    all) changes nothing and is not an error: the state asked for holds."""
    removed = store.remove_group_member(group_id, member_id)
    if removed is None:
        raise NotFound(f"group {group_id} does not exist", group_id=group_id)
    return removed


def list_members(
    *, store: GraphStore, group_id: str, cursor: str | None, limit: int
) -> GroupMembersPage:
    get_group(store=store, group_id=group_id)
    # One more than asked says whether another page exists without a count.
    ids = store.group_members_page(group_id, decode_cursor(cursor), limit + 1)
    page = ids[:limit]
    more = len(ids) > limit
    return GroupMembersPage(
        group_id=group_id, items=page, next_cursor=encode_cursor(page[-1]) if more else None
    )


def groups_of_member(*, store: GraphStore, member_id: str) -> MemberGroups:
    if not store.get_members([member_id]):
        raise NotFound(f"member {member_id} does not exist", member_id=member_id)
    return MemberGroups(
        member_id=member_id, items=store.groups_of_member(member_id, MAX_GROUPS_OF_MEMBER)
    )


def encode_cursor(member_id: str) -> str:
    return base64.urlsafe_b64encode(member_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str:
    """The last id of the previous page; "" (before every id) for the first page."""
    if cursor is None:
        return ""
    try:
        after = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error) as error:
        raise InvalidInput("cursor is not one this API handed out", field="cursor") from error
    if not after:
        raise InvalidInput("cursor is not one this API handed out", field="cursor")
    return after
