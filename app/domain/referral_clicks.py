"""Clicks on referral codes' landing pages, and what a member's links did over a period
(clicks → registrations → paid). Pure models: no I/O."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.domain.members import MemberId
from app.domain.units import EpochMs


class ClickCreate(BaseModel):
    """`POST /v1/referral-codes/{code}/clicks`: one visit of her landing page."""

    model_config = ConfigDict(extra="forbid")

    id: MemberId = Field(description="The storefront's id for this click: sent again, a retry")
    at: EpochMs | None = Field(default=None, description="When (default now)")


class Click(BaseModel):
    id: str
    code: str
    member_id: str
    at: int


class ReferralFunnel(BaseModel):
    """What her share links did over a period: visits, registrations under her, paid."""

    member_id: str
    from_: int = Field(serialization_alias="from")
    to: int
    clicks: int = Field(description="Landing-page clicks on any of her codes")
    registrations: int = Field(description="Her direct invitees who joined in the period")
    paid: int = Field(description="Of those, how many are paid members now")
