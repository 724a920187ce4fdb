"""Circles: groups members belong to (topic groups, stores, regions), their models and the
pure rule that compares a repeated creation with what is stored."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from app.domain.members import DisplayName, MemberId

# Group ids travel in URL paths exactly as member ids do.
GroupId = MemberId
MAX_PAGE = 1000
# A member's groups come back in one answer; a member in more circles than this is data
# gone wrong, not a page to turn.
MAX_GROUPS_OF_MEMBER = 1000


class GroupKind(StrEnum):
    """A closed list, so that analytics can rely on it; `other` for anything else."""

    TOPIC = "topic"
    STORE = "store"
    REGION = "region"
    OTHER = "other"


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: GroupId
    kind: GroupKind
    name: DisplayName = Field(min_length=1)


class Group(BaseModel):
    id: str
    kind: GroupKind
    name: str
    members_total: int


class GroupMembersPage(BaseModel):
    group_id: str
    items: list[str] = Field(description="Member ids, in id order")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )


class MemberGroups(BaseModel):
    member_id: str
    items: list[Group] = Field(description="Her groups, in id order")


def group_conflicts(stored: Group, request: GroupCreate) -> list[str]:
    """Fields where a repeated creation differs from the stored group (empty: a safe retry)."""
    differences = []
    if stored.kind != request.kind:
        differences.append("kind")
    if stored.name != request.name:
        differences.append("name")
    return differences
