"""Paid super memberships: recording one, idempotently. What they make of a member at a
moment is part of her tier answer (app/services/members.py, get_tier_status)."""

from __future__ import annotations

from app.core.errors import Conflict, InvalidInput, NotFound
from app.domain.super_membership import (
    SuperMembership,
    SuperMembershipCreate,
    membership_conflicts,
)
from app.domain.units import iso_moment
from app.store.port import GraphStore


def add_super_membership(
    *, store: GraphStore, member_id: str, request: SuperMembershipCreate, now: int
) -> tuple[SuperMembership, bool]:
    """Returns the membership and whether this call recorded it. The same post again returns
    the stored one; the same id with another member or payload is a Conflict."""
    if request.expires_at <= request.starts_at:
        raise InvalidInput(
            f"expires_at {iso_moment(request.expires_at)} must be after starts_at "
            f"{iso_moment(request.starts_at)}",
            field="expires_at",
        )
    # Two tries: the member registered concurrently between our write and our checks.
    for _ in range(2):
        if store.put_super_membership(member_id, request, now):
            return SuperMembership(
                **request.model_dump(), member_id=member_id, created_at=now
            ), True
        stored = store.super_memberships_by_id([request.id])
        if stored:
            differences = membership_conflicts(stored[0], member_id, request)
            if differences:
                raise Conflict(
                    f"super membership {request.id} is already recorded with a different "
                    + ", ".join(differences),
                    membership_id=request.id,
                    conflicting_fields=differences,
                )
            return stored[0], False
        members = store.get_members([member_id])
        if not members:
            raise NotFound(f"member {member_id} does not exist", member_id=member_id)
        if request.starts_at < members[0].joined_at:
            raise InvalidInput(
                f"starts_at {iso_moment(request.starts_at)} is before member {member_id} "
                f"joined ({iso_moment(members[0].joined_at)})",
                field="starts_at",
            )
    raise Conflict(f"super membership {request.id} kept racing with other writes; retry it")
