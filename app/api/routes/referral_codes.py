"""Referral codes: a member's code for her share links, and a code resolved to its member."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app.api.deps import Admins, NowDep, StoreDep, Writers
from app.api.problems import problem_responses
from app.domain.members import MemberId
from app.domain.referral_codes import MemberCodes, ReferralCode, ReferralCodeRecord
from app.services import referral_codes as service

router = APIRouter(tags=["referral codes"])
MemberIdPath = Annotated[MemberId, Path(description="The member's external id", examples=["m12"])]


@router.get(
    "/v1/members/{member_id}/referral-code",
    dependencies=[Writers],
    responses=problem_responses(401, 403, 404, 422),
)
def get_member_code(member_id: MemberIdPath, store: StoreDep, now: NowDep) -> MemberCodes:
    """Her code for her share links (the first ask issues it) and the codes she had before,
    which still resolve to her. Eight letters and digits, case-insensitive, unguessable."""
    return service.member_codes(store=store, member_id=member_id, now=now)


@router.post(
    "/v1/members/{member_id}/referral-code",
    status_code=201,
    dependencies=[Admins],
    responses=problem_responses(401, 403, 404, 409, 422),
)
def regenerate_member_code(member_id: MemberIdPath, store: StoreDep, now: NowDep) -> MemberCodes:
    """A new code for her (a link that leaked); her old codes keep resolving to her."""
    return service.regenerate_code(store=store, member_id=member_id, now=now)


@router.get(
    "/v1/referral-codes/{code}",
    dependencies=[Writers],
    responses=problem_responses(401, 403, 404, 422),
)
def resolve_code(
    code: Annotated[
        ReferralCode,
        Path(
            description="A code as typed (any case; O for 0, I or L for 1)", examples=["7K3M-Q9TX"]
        ),
    ],
    store: StoreDep,
) -> ReferralCodeRecord:
    """Whose code it is (for a landing page: "invited by …"), and whether it is her newest."""
    return service.resolve_code(store=store, code=code)
