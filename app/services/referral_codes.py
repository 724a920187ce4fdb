"""Referral codes: each member's code (issued the first time it is asked for), a new one on
an admin's request, and a code turned back into its member where a registration or an order
names one."""

from __future__ import annotations

from app.core.errors import Conflict, InvalidInput, NotFound
from app.domain.ledger import OrderCreate
from app.domain.members import MemberCreate
from app.domain.referral_clicks import Click, ClickCreate, ReferralFunnel
from app.domain.referral_codes import MemberCodes, ReferralCodeRecord, new_code
from app.store.port import GraphStore

# Tries to issue a code: another issue for her landed meanwhile, or (never seen) the drawn
# code was taken.
ISSUE_ATTEMPTS = 10


def member_codes(*, store: GraphStore, member_id: str, now: int) -> MemberCodes:
    """Her code now and the ones before it; the first ask issues her first code."""
    codes = store.referral_codes_of(member_id)
    if not codes:
        codes = _issued(store, member_id, expected=0, now=now)
    return _as_member_codes(member_id, codes)


def regenerate_code(*, store: GraphStore, member_id: str, now: int) -> MemberCodes:
    """A new code for her (a leaked link); the old ones keep resolving to her."""
    codes = store.referral_codes_of(member_id)
    return _as_member_codes(member_id, _issued(store, member_id, expected=len(codes), now=now))


def resolve_code(*, store: GraphStore, code: str) -> ReferralCodeRecord:
    found = store.resolve_referral_code(code)
    if found is None:
        raise NotFound(f"referral code {code} is not known", referral_code=code)
    return found


def with_inviter_from_code(store: GraphStore, request: MemberCreate) -> MemberCreate:
    """The registration with `referral_code` turned into `inviter_id` (422 naming an unknown
    code, or one that names another inviter than `inviter_id`)."""
    if request.referral_code is None:
        return request
    inviter = _member_of(
        store, request.referral_code, "referral_code", ("inviter_id", request.inviter_id)
    )
    return request.model_copy(update={"inviter_id": inviter, "referral_code": None})


def with_sharer_from_code(store: GraphStore, request: OrderCreate) -> OrderCreate:
    """The order with `shared_by_code` turned into `shared_by`, as a registration's code."""
    if request.shared_by_code is None:
        return request
    sharer = _member_of(
        store, request.shared_by_code, "shared_by_code", ("shared_by", request.shared_by)
    )
    return request.model_copy(update={"shared_by": sharer, "shared_by_code": None})


def _member_of(store: GraphStore, code: str, field: str, named: tuple[str, str | None]) -> str:
    """The member whose code `code` (sent as `field`) is; 422 for an unknown code, or when the
    request also `named` a member (field, id) and it is another one."""
    found = store.resolve_referral_code(code)
    if found is None:
        raise InvalidInput(f"{field} {code} is not a known referral code", field=field)
    named_field, named_id = named
    if named_id is not None and named_id != found.member_id:
        raise InvalidInput(
            f"{field} {code} is member {found.member_id}'s, not {named_field} {named_id}",
            field=field,
        )
    return found.member_id


def _issued(
    store: GraphStore, member_id: str, *, expected: int, now: int
) -> list[ReferralCodeRecord]:
    """Her codes after issuing one more over the `expected` she had; when another issue
    landed first, hers (a second first code is never issued)."""
    if not store.get_members([member_id]):
        raise NotFound(f"member {member_id} does not exist", member_id=member_id)
    for _ in range(ISSUE_ATTEMPTS):
        if store.issue_referral_code(member_id, expected, new_code(), now):
            return store.referral_codes_of(member_id)
        codes = store.referral_codes_of(member_id)
        if expected == 0 and codes:
            return codes  # a concurrent first ask issued it
        if len(codes) > expected:
            return codes  # a concurrent regeneration: one new code is what was asked
    raise Conflict(f"no referral code could be issued to member {member_id}; retry")


def _as_member_codes(member_id: str, codes: list[ReferralCodeRecord]) -> MemberCodes:
    return MemberCodes(
        member_id=member_id, code=codes[0].code, previous=[code.code for code in codes[1:]]
    )


def record_click(*, store: GraphStore, code: str, click: ClickCreate, now: int) -> Click:
    """The click as stored (a retry with its id returns the first)."""
    stored = store.record_click(code, click.id, now if click.at is None else click.at)
    if stored is None:
        raise NotFound(f"referral code {code} is not known", referral_code=code)
    if stored.code != code:
        raise Conflict(f"click {click.id} was recorded for another code", click_id=click.id)
    return stored


def referral_funnel(*, store: GraphStore, member_id: str, from_: int, to: int) -> ReferralFunnel:
    if from_ >= to:
        raise InvalidInput("from must be before to", field="from")
    if not store.get_members([member_id]):
        raise NotFound(f"member {member_id} does not exist", member_id=member_id)
    clicks, registrations, paid = store.referral_funnel(member_id, from_, to)
    return ReferralFunnel(
        member_id=member_id,
        from_=from_,
        to=to,
        clicks=clicks,
        registrations=registrations,
        paid=paid,
    )
