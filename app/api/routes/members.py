"""Members, their tiers (both ladders), super memberships, downline counts and upline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request, Response

from app.api.csv_pages import CSV_RESPONSES, page_or_csv
from app.api.deps import (
    ActorDep,
    Admins,
    Auditors,
    LadderDep,
    MemberReaders,
    NowDep,
    SpendLadderDep,
    StoreDep,
    Writers,
)
from app.api.problems import problem_responses
from app.domain.lifecycle import (
    ErasureRequest,
    HoldRequest,
    HoldState,
    MemberHistory,
    MemberPatch,
    PaidUndoRequest,
    SponsorMoveRequest,
    StatusRequest,
)
from app.domain.members import (
    TRACKED_LEVELS,
    DownlineCounts,
    Member,
    MemberCreate,
    MemberId,
    PaidMark,
    TierStatus,
    Upline,
)
from app.domain.search import (
    DEFAULT_SEARCH_LIMIT,
    MAX_SEARCH_LIMIT,
    MemberPage,
    MemberSearch,
    SearchSort,
    SearchText,
)
from app.domain.super_membership import SuperMembership, SuperMembershipCreate
from app.domain.units import EpochMsQuery
from app.services import lifecycle, super_memberships
from app.services import members as service
from app.services import search as search_service

router = APIRouter(prefix="/v1/members", tags=["members"])
MemberIdPath = Annotated[MemberId, Path(description="The member's external id", examples=["m12"])]
# Epoch ms or ISO-8601 with a zone, as every `as_of` takes it.
AS_OF_EXAMPLES = ["2026-11-01T00:00:00+08:00", 1767225600000]


@router.post(
    "",
    status_code=201,
    dependencies=[Writers],
    responses={
        200: {"model": Member, "description": "Already registered (a retry)"},
        **problem_responses(401, 403, 409, 413, 422),
    },
)
def register_member(
    request: Annotated[
        MemberCreate,
        Body(
            openapi_examples={
                "invited": {
                    "summary": "A member who joined through her inviter's share link",
                    "value": {
                        "id": "m13",
                        "inviter_id": "m12",
                        "name": "王芳",
                        "joined_at": "2026-11-01T09:30:00+08:00",
                        "attributes": {"city": "杭州", "channel": "wechat"},
                    },
                },
                "with_identity": {
                    "summary": "With hashed identity facts for abuse signals (never answered)",
                    "value": {
                        "id": "m14",
                        "inviter_id": "m12",
                        "joined_at": "2026-11-01T09:41:00+08:00",
                        "identity": {
                            "phone_hash": "9f86d081884c7d659a2feaa0c55ad015"
                            "a3bf4f1b2b0b822cd15d6c15b0f00a08",
                            "device_id": "ios-7F3A9C21-5D",
                            "ip_prefix": "203.0.113.0/24",
                        },
                    },
                },
                "root": {
                    "summary": "A member nobody invited (the top of a tree)",
                    "value": {"id": "m1", "name": "李娜", "joined_at": 1767225600000},
                },
            }
        ),
    ],
    store: StoreDep,
    ladder: LadderDep,
    now: NowDep,
    response: Response,
) -> Member:
    """Registers a member (201); the same registration again returns her with 200."""
    member, created = service.register_member(store=store, ladder=ladder, request=request, now=now)
    if not created:
        response.status_code = 200
    return member


@router.get(
    "",
    dependencies=[MemberReaders],
    response_model=MemberPage,
    responses={**problem_responses(401, 403, 422), **CSV_RESPONSES},
)
def search_members(
    request: Request,
    store: StoreDep,
    ladder: LadderDep,
    q: Annotated[
        SearchText | None,
        Query(
            description="A prefix of the name or the id, in any case (also Chinese names)",
            examples=["王", "m12"],
        ),
    ] = None,
    tier: Annotated[
        str | None, Query(description="Only members at this honour tier", examples=["butterfly"])
    ] = None,
    paid: Annotated[
        bool | None, Query(description="Only paid (true) or unpaid members", examples=[True])
    ] = None,
    circle: Annotated[
        MemberId | None, Query(description="Only members of this circle", examples=["c12"])
    ] = None,
    joined_from: Annotated[
        EpochMsQuery | None,
        Query(description="Joined at or after", examples=["2026-11-01T00:00:00+08:00"]),
    ] = None,
    joined_to: Annotated[
        EpochMsQuery | None,
        Query(description="Joined before", examples=["2026-12-01T00:00:00+08:00"]),
    ] = None,
    inviter_id: Annotated[
        MemberId | None, Query(description="Only this member's direct invitees", examples=["m12"])
    ] = None,
    sort: Annotated[
        SearchSort,
        Query(description="A field; `-` first for descending", examples=["-downline_total"]),
    ] = "id",
    limit: Annotated[int, Query(ge=1, le=MAX_SEARCH_LIMIT, examples=[100])] = DEFAULT_SEARCH_LIMIT,
    cursor: Annotated[
        str | None,
        # The page after m12 in id order.
        Query(description="next_cursor of the previous page", examples=["WzAsIm0xMiJd"]),
    ] = None,
    as_of: Annotated[
        EpochMsQuery | None,
        Query(
            description="Members who had joined by this moment, each as she stood then (tier, "
            "paid mark, inviter, status, counts); not with tier, paid or inviter_id, sorted by "
            "id or joined_at",
            examples=AS_OF_EXAMPLES,
        ),
    ] = None,
) -> MemberPage | Response:
    """Members found by a name or id prefix and filters, with their tier and counts, a page
    at a time in the chosen order (then by id). A prefix is read from an index, never by
    scanning the members. With `as_of`, the members of that moment as they stood then."""
    search = MemberSearch(
        q=q,
        tier=tier,
        paid=paid,
        circle=circle,
        joined_from=joined_from,
        joined_to=joined_to,
        inviter_id=inviter_id,
        sort=sort,
    )
    return page_or_csv(
        request,
        search_service.search_members(
            store=store, ladder=ladder, search=search, cursor=cursor, limit=limit, as_of=as_of
        ),
        rows="items",
        name="members",
    )


@router.post(
    "/{member_id}/paid",
    dependencies=[Writers],
    responses=problem_responses(401, 403, 404, 409, 413, 422),
)
def mark_paid(
    member_id: MemberIdPath,
    store: StoreDep,
    ladder: LadderDep,
    now: NowDep,
    mark: Annotated[
        PaidMark | None,
        Body(
            openapi_examples={
                "now": {"summary": "Paid now", "value": {}},
                "at a moment": {
                    "summary": "The fee was paid earlier (a late paid mark)",
                    "value": {"paid_at": "2026-11-01T10:00:00+08:00"},
                },
            }
        ),
    ] = None,
) -> Member:
    """Marks a member paid (now, or at `paid_at`); marking her again changes nothing."""
    paid_at = mark.paid_at if mark else None
    return service.mark_member_paid(
        store=store, ladder=ladder, member_id=member_id, paid_at=paid_at, now=now
    )


@router.get(
    "/{member_id}", dependencies=[MemberReaders], responses=problem_responses(401, 403, 404, 422)
)
def get_member(member_id: MemberIdPath, store: StoreDep) -> Member:
    return service.get_member(store=store, member_id=member_id)


@router.patch(
    "/{member_id}",
    dependencies=[Writers],
    responses=problem_responses(401, 403, 404, 409, 413, 422),
)
def edit_member(
    member_id: MemberIdPath,
    patch: Annotated[
        MemberPatch,
        Body(
            openapi_examples={
                "rename": {
                    "summary": "Correct her name, add a city, drop a field",
                    "value": {
                        "change_id": "fix-2026-12-02-1",
                        "reason": "typo reported by the member",
                        "name": "王芳",
                        "attributes": {"city": "杭州", "nickname": None},
                    },
                },
                "new_device": {
                    "summary": "Add the device she now uses (identity facts only add)",
                    "value": {
                        "change_id": "device-2026-12-02-1",
                        "identity": {"device_id": "android-4C1E88B0"},
                    },
                },
            }
        ),
    ],
    store: StoreDep,
    actor: ActorDep,
    now: NowDep,
) -> Member:
    """A JSON merge patch of her name and attributes (a field left out stays, `null`
    removes it), recorded in her history with who, when and why; the same `change_id` again
    changes nothing more. An erased member is not edited (409)."""
    member, _ = lifecycle.edit_member(
        store=store, member_id=member_id, patch=patch, actor=actor, now=now
    )
    return member


@router.post(
    "/{member_id}/erasure",
    dependencies=[Admins],
    responses=problem_responses(401, 403, 404, 409, 413, 422),
)
def erase_member(
    member_id: MemberIdPath,
    request: Annotated[
        ErasureRequest,
        Body(
            openapi_examples={
                "deletion request": {
                    "summary": "A deletion request under PIPL/GDPR",
                    "value": {"change_id": "erase-ticket-4711", "reason": "PIPL request 4711"},
                }
            }
        ),
    ],
    store: StoreDep,
    actor: ActorDep,
    now: NowDep,
) -> Member:
    """Erases her personal data: name and attributes are removed for good (`erased_at`
    marks it), her id, place in the network and every ledger amount stay, so the ledger
    still adds up. Erasing her again, or a retry, changes nothing."""
    member, _ = lifecycle.erase_member(
        store=store, member_id=member_id, request=request, actor=actor, now=now
    )
    return member


@router.post(
    "/{member_id}/status",
    dependencies=[Admins],
    responses=problem_responses(401, 403, 404, 409, 413, 422),
)
def set_status(
    member_id: MemberIdPath,
    request: Annotated[
        StatusRequest,
        Body(
            openapi_examples={
                "deactivate": {
                    "summary": "Deactivate a member who left",
                    "value": {"change_id": "st-1", "status": "inactive", "reason": "left"},
                }
            }
        ),
    ],
    store: StoreDep,
    actor: ActorDep,
    now: NowDep,
) -> Member:
    """Sets her status: `active` ⇄ `inactive` → `terminated` (a terminated member stays so,
    409 otherwise). She keeps her place in the network and her history; from now on a reward
    that would reach her while she is not active follows the plan's `inactive_members`
    (`skip`: nobody is paid that hop; `compress`: the next active member up, within the
    level cap). The same `change_id` again changes nothing more."""
    member, _ = lifecycle.set_member_status(
        store=store, member_id=member_id, request=request, actor=actor, now=now
    )
    return member


@router.post(
    "/{member_id}/hold",
    dependencies=[Admins],
    responses=problem_responses(401, 403, 404, 409, 413, 422),
)
def hold_member(
    member_id: MemberIdPath,
    request: Annotated[
        HoldRequest,
        Body(
            openapi_examples={
                "review": {
                    "summary": "Hold her payouts during a review",
                    "value": {"change_id": "hold-7", "reason": "shared payout account"},
                }
            }
        ),
    ],
    store: StoreDep,
    actor: ActorDep,
    now: NowDep,
) -> HoldState:
    """Puts her on payout hold: batches skip her with this reason; her entries keep
    accruing. The same `change_id` again changes nothing more."""
    return lifecycle.set_member_hold(
        store=store, member_id=member_id, request=request, hold=True, actor=actor, now=now
    )


@router.post(
    "/{member_id}/hold/release",
    dependencies=[Admins],
    responses=problem_responses(401, 403, 404, 409, 413, 422),
)
def release_member(
    member_id: MemberIdPath,
    request: Annotated[
        HoldRequest,
        Body(
            openapi_examples={
                "cleared": {
                    "summary": "The review found nothing",
                    "value": {"change_id": "hold-7-release", "reason": "review cleared"},
                }
            }
        ),
    ],
    store: StoreDep,
    actor: ActorDep,
    now: NowDep,
) -> HoldState:
    """Releases her hold: the next batch pays what she has available."""
    return lifecycle.set_member_hold(
        store=store, member_id=member_id, request=request, hold=False, actor=actor, now=now
    )


@router.post(
    "/{member_id}/sponsor",
    dependencies=[Admins],
    responses=problem_responses(401, 403, 404, 409, 413, 422),
)
def move_sponsor(
    member_id: MemberIdPath,
    request: Annotated[
        SponsorMoveRequest,
        Body(
            openapi_examples={
                "move": {
                    "summary": "Move a member whose invitation was credited to the wrong sponsor",
                    "value": {
                        "change_id": "mv-1",
                        "inviter_id": "m7",
                        "reason": "registered through the wrong share link",
                    },
                },
                "from a moment": {
                    "summary": "The move takes effect from a past moment",
                    "value": {
                        "change_id": "mv-2",
                        "inviter_id": "m7",
                        "effective_at": "2026-11-01T00:00:00+08:00",
                        "reason": "team reorganised on 1 November",
                    },
                },
            }
        ),
    ],
    store: StoreDep,
    ladder: LadderDep,
    actor: ActorDep,
    now: NowDep,
) -> Member:
    """Moves her, with her whole downline, under another sponsor from `effective_at` (default
    now) on. Refused with 409 when the new sponsor is in her downline (a cycle) or when an
    event was already priced through her present sponsor at or after `effective_at`; 422
    when the new sponsor is unknown, joined after `effective_at`, or `effective_at` is in the
    future. Every counter of both uplines is right when it answers; ledger entries written
    keep the path they paid through, later events follow the new one, and `?as_of=` before
    the move still shows the old sponsor. The same `change_id` again changes nothing more."""
    member, _ = lifecycle.move_sponsor(
        store=store, ladder=ladder, member_id=member_id, request=request, actor=actor, now=now
    )
    return member


@router.post(
    "/{member_id}/paid/undo",
    dependencies=[Admins],
    responses=problem_responses(401, 403, 404, 409, 413, 422),
)
def undo_paid(
    member_id: MemberIdPath,
    request: Annotated[
        PaidUndoRequest,
        Body(
            openapi_examples={
                "undo": {
                    "summary": "The membership fee was charged back",
                    "value": {"change_id": "undo-1", "reason": "fee charged back"},
                }
            }
        ),
    ],
    store: StoreDep,
    ladder: LadderDep,
    actor: ActorDep,
    now: NowDep,
) -> Member:
    """Undoes her paid mark from now on: her upline's paid counters and her inviter's tier
    step back (recorded as tier changes), and the referral bonus her first mark earned is
    reversed by a reversal entry, never edited. `?as_of=` before now still shows her paid.
    409 when she is not paid. A later paid mark is taken from now on (one referral bonus
    per invitee: it earns none). The same `change_id` again changes nothing more."""
    member, _ = lifecycle.undo_paid_mark(
        store=store, ladder=ladder, member_id=member_id, request=request, actor=actor, now=now
    )
    return member


@router.get(
    "/{member_id}/history",
    dependencies=[Auditors],
    response_model=MemberHistory,
    responses={**problem_responses(401, 403, 404, 422), **CSV_RESPONSES},
)
def get_history(
    request: Request, member_id: MemberIdPath, store: StoreDep
) -> MemberHistory | Response:
    """Her audit trail, oldest first: each change with when, who (role and key id, never the
    key), why, and which fields it changed (never their values)."""
    return page_or_csv(
        request,
        lifecycle.member_history(store=store, member_id=member_id),
        rows="items",
        name="history",
    )


@router.get(
    "/{member_id}/tier",
    dependencies=[MemberReaders],
    responses=problem_responses(401, 403, 404, 422),
)
def get_tier(
    member_id: MemberIdPath,
    store: StoreDep,
    ladder: LadderDep,
    spend_ladder: SpendLadderDep,
    now: NowDep,
    as_of: Annotated[
        EpochMsQuery | None,
        Query(description="Answer from the history at this moment", examples=AS_OF_EXAMPLES),
    ] = None,
) -> TierStatus:
    """Both ladders: the honour tier (from maintained counters, or at `as_of` from the
    history), the spend level over the rolling year and the super membership, now or at
    `as_of`."""
    return service.get_tier_status(
        store=store,
        ladder=ladder,
        spend_ladder=spend_ladder,
        member_id=member_id,
        now=now,
        as_of=as_of,
    )


@router.post(
    "/{member_id}/super-memberships",
    status_code=201,
    dependencies=[Writers],
    responses={
        200: {
            "model": SuperMembership,
            "description": "Already recorded (a retry): nothing written",
        },
        **problem_responses(401, 403, 404, 409, 413, 422),
    },
)
def add_super_membership(
    member_id: MemberIdPath,
    request: Annotated[
        SuperMembershipCreate,
        Body(
            openapi_examples={
                "a year": {
                    "summary": "A year's super membership paid in yuan (minor units: fen)",
                    "value": {
                        "id": "sm-m12-2026",
                        "starts_at": "2026-01-01T00:00:00+08:00",
                        "expires_at": "2027-01-01T00:00:00+08:00",
                        "amount": 19900,
                        "currency": "CNY",
                    },
                }
            }
        ),
    ],
    store: StoreDep,
    now: NowDep,
    response: Response,
) -> SuperMembership:
    """Records a paid super membership over [starts_at, expires_at) (201); the same one again
    returns it with 200."""
    membership, created = super_memberships.add_super_membership(
        store=store, member_id=member_id, request=request, now=now
    )
    if not created:
        response.status_code = 200
    return membership


@router.get(
    "/{member_id}/downline/counts",
    dependencies=[MemberReaders],
    responses=problem_responses(401, 403, 404, 422),
)
def get_downline_counts(
    member_id: MemberIdPath,
    store: StoreDep,
    max_depth: Annotated[int, Query(ge=1, le=TRACKED_LEVELS, examples=[3])] = TRACKED_LEVELS,
    as_of: Annotated[
        EpochMsQuery | None,
        Query(
            description="Her downline as it stood then: who had joined, who was paid",
            examples=AS_OF_EXAMPLES,
        ),
    ] = None,
) -> DownlineCounts:
    """Direct and whole-downline totals, and a per-level histogram, all from counters; at
    `as_of`, from a walk of her downline as it stood then (slower: it reads every member
    below her)."""
    return service.get_downline_counts(
        store=store, member_id=member_id, max_depth=max_depth, as_of=as_of
    )


@router.get(
    "/{member_id}/upline",
    dependencies=[MemberReaders],
    responses=problem_responses(401, 403, 404, 422),
)
def get_upline(
    member_id: MemberIdPath,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=service.MAX_UPLINE, examples=[20])] = 100,
    as_of: Annotated[
        EpochMsQuery | None,
        Query(description="Her upline as it stood then", examples=AS_OF_EXAMPLES),
    ] = None,
) -> Upline:
    """Ids from the member's inviter up to the root of her tree (at most `limit`); at
    `as_of`, 404 for a member who had not joined by then."""
    return service.get_upline(store=store, member_id=member_id, limit=limit, as_of=as_of)
