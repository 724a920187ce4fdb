"""Referral codes: a member's code for her share links, and a code resolved to its member."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query

from app.api.deps import Admins, GrowthTeam, NowDep, StoreDep, Writers
from app.api.problems import problem_responses
from app.domain.members import MemberId
from app.domain.plans import DAY_MS
from app.domain.referral_clicks import Click, ClickCreate, ReferralFunnel
from app.domain.referral_codes import MemberCodes, ReferralCode, ReferralCodeRecord
from app.domain.units import EpochMsQuery
from app.services import referral_codes as service

router = APIRouter(tags=["referral codes"])
FUNNEL_DAYS = 30
MemberIdPath = Annotated[MemberId, Path(description="The member's external id", examples=["m12"])]
CodePath = Annotated[
    ReferralCode,
    Path(description="A code as typed (any case; O for 0, I or L for 1)", examples=["7K3M-Q9TX"]),
]


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


@router.post(
    "/v1/referral-codes/{code}/clicks",
    status_code=201,
    dependencies=[Writers],
    responses=problem_responses(401, 403, 404, 409, 413, 422),
)
def record_click(
    code: CodePath,
    click: Annotated[
        ClickCreate,
        Body(
            openapi_examples={
                "visit": {
                    "summary": "A visit of her landing page",
                    "value": {"id": "click-7f3a", "at": "2026-11-02T20:15:00+08:00"},
                }
            }
        ),
    ],
    store: StoreDep,
    now: NowDep,
) -> Click:
    """Records one visit of a code's landing page, so growth sees clicks → registrations →
    paid per member. The same click id again is a retry (the first is kept)."""
    return service.record_click(store=store, code=code, click=click, now=now)


@router.get(
    "/v1/members/{member_id}/referral-funnel",
    dependencies=[GrowthTeam],
    responses=problem_responses(401, 403, 404, 422),
)
def referral_funnel(
    member_id: MemberIdPath,
    store: StoreDep,
    now: NowDep,
    from_: Annotated[
        EpochMsQuery | None,
        Query(
            alias="from",
            description="At or after; default: 30 days before `to`",
            examples=["2026-11-01T00:00:00+08:00"],
        ),
    ] = None,
    to: Annotated[
        EpochMsQuery | None,
        Query(description="Before; default: now", examples=["2026-12-01T00:00:00+08:00"]),
    ] = None,
) -> ReferralFunnel:
    """What her share links did in [from, to): clicks on her codes' landing pages, her direct
    invitees who joined, and how many of them are paid now."""
    end = now if to is None else to
    start = end - FUNNEL_DAYS * DAY_MS if from_ is None else from_
    return service.referral_funnel(store=store, member_id=member_id, from_=start, to=end)


@router.get(
    "/v1/referral-codes/{code}",
    dependencies=[Writers],
    responses=problem_responses(401, 403, 404, 422),
)
def resolve_code(code: CodePath, store: StoreDep) -> ReferralCodeRecord:
    """Whose code it is (for a landing page: "invited by …"), and whether it is her newest."""
    return service.resolve_code(store=store, code=code)
