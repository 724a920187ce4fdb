"""Paid super memberships as the storefront posts them and as they are stored; what a
member's memberships make of her at a moment is in app/domain/spend.py."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.domain.members import MemberId
from app.domain.units import MINOR_UNITS, Currency, EpochMs

# Membership ids travel in URL paths and graph parameters, as member ids do.
MembershipId = MemberId
Fee = Annotated[int, Field(strict=True, ge=0, le=10**15, description="Minor units"), MINOR_UNITS]


class SuperMembershipCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: MembershipId
    starts_at: EpochMs
    expires_at: EpochMs = Field(description="Exclusive: she is a super member until then")
    amount: Fee
    currency: Currency


class SuperMembership(SuperMembershipCreate):
    model_config = ConfigDict(extra="ignore")

    member_id: str
    created_at: int


def membership_conflicts(
    stored: SuperMembership, member_id: str, request: SuperMembershipCreate
) -> list[str]:
    """Fields where a repeated post differs from the stored membership (empty: a retry)."""
    differences = ["member_id"] if stored.member_id != member_id else []
    return differences + [
        field
        for field in SuperMembershipCreate.model_fields
        if getattr(stored, field) != getattr(request, field)
    ]
