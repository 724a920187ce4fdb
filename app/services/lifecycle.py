"""Member lifecycle use cases: correct her name and attributes, erase her personal data, read
her audit trail. Each change is one statement with its audit entry, and a retry with the same
change id changes nothing more."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable

from app.core.errors import Conflict, InvalidInput
from app.domain.lifecycle import (
    Actor,
    ChangeKind,
    ErasureRequest,
    HoldRequest,
    HoldState,
    MemberHistory,
    MemberPatch,
    PaidUndoRequest,
    SponsorMoveRequest,
    StatusRequest,
    StoredChange,
    changed_paths,
    patched_attributes,
    status_move_problem,
)
from app.domain.members import Member, MemberRecord
from app.domain.search import search_key
from app.domain.tiers import TierLadder
from app.domain.units import iso_moment
from app.services.identity import record_identity
from app.services.members import member_record
from app.services.paid_bonuses import reverse_paid_bonus
from app.services.tier_histories import settle_sponsors, settle_tier_history
from app.store.port import GraphStore

# Reads and conditional writes a change tries before saying the member kept changing; each
# retry waits a random moment up to attempt x RETRY_WAIT_S, so writers racing on one member
# spread out instead of colliding again.
EDIT_ATTEMPTS = 20
RETRY_WAIT_S = 0.002
# Deeper than any chain: a cycle check reads the new sponsor's whole upline.
MAX_CHAIN = 10**9


# One try of a change: given the member as read, the write to attempt (its change written
# with it; False when she changed meanwhile), or None when there is nothing to write.
Attempt = Callable[[MemberRecord], Callable[[], bool] | None]


def edit_member(
    *, store: GraphStore, member_id: str, patch: MemberPatch, actor: Actor, now: int
) -> tuple[Member, bool]:
    """Her name and attributes after the merge patch, and whether this call changed them."""

    def attempt(record: MemberRecord) -> Callable[[], bool]:
        if record.erased_at is not None:
            raise Conflict(
                f"member {member_id} was erased: her personal data is not taken again",
                member_id=member_id,
            )
        name = patch.name if "name" in patch.model_fields_set else record.name
        identity_paths = (
            [f"identity.{kind}" for kind, _ in patch.identity.pairs()] if patch.identity else []
        )
        try:
            attributes = patched_attributes(record.attributes, patch)
        except ValueError as error:
            raise InvalidInput(f"the patched attributes {error}", field="attributes") from error
        change = StoredChange(
            change_id=patch.change_id,
            member_id=member_id,
            kind="edit",
            at=now,
            actor=actor,
            reason=patch.reason,
            changed=changed_paths((record.name, record.attributes), (name, attributes))
            + identity_paths,
            fingerprint=patch.fingerprint(),
        )
        attributes_json = (
            None
            if attributes is None
            else json.dumps(attributes, sort_keys=True, separators=(",", ":"))
        )
        name_key = None if name is None else search_key(name)
        return lambda: store.edit_member(
            member_id, record.rev, name, attributes_json, name_key, change
        )

    edited = _change_member(store, member_id, patch.change_id, patch.fingerprint(), "edit", attempt)
    # After her change is recorded, and again on every retry of it: a crash between the two
    # writes is mended by the client's retry (the facts are merged, never duplicated).
    record_identity(store, member_id, patch.identity, now, now)
    return edited


def erase_member(
    *, store: GraphStore, member_id: str, request: ErasureRequest, actor: Actor, now: int
) -> tuple[Member, bool]:
    """Her record with the personal data gone, and whether this call erased it (False: a
    retry, or she was erased before)."""

    def attempt(record: MemberRecord) -> Callable[[], bool] | None:
        if record.erased_at is not None:
            return None
        held = ["name"] if record.name is not None else []
        held += ["attributes"] if record.attributes_json is not None else []
        change = StoredChange(
            change_id=request.change_id,
            member_id=member_id,
            kind="erasure",
            at=now,
            actor=actor,
            reason=request.reason,
            changed=held,
            fingerprint=request.fingerprint(),
        )
        return lambda: store.erase_member(member_id, change)

    return _change_member(
        store, member_id, request.change_id, request.fingerprint(), "erasure", attempt
    )


def set_member_status(
    *, store: GraphStore, member_id: str, request: StatusRequest, actor: Actor, now: int
) -> tuple[Member, bool]:
    """Her record at the new status, and whether this call changed it (False: a retry, or
    she is at that status already). From now on, rewards that would reach her while she is
    not active follow the plan's `inactive_members` rule."""

    def attempt(record: MemberRecord) -> Callable[[], bool] | None:
        if record.status == request.status:
            return None
        problem = status_move_problem(record.status, request.status)
        if problem is not None:
            raise Conflict(f"member {member_id} is {record.status}: {problem}", member_id=member_id)
        change = StoredChange(
            change_id=request.change_id,
            member_id=member_id,
            kind="status",
            # Never before what she already holds: a status history runs forward.
            at=max([now, *record.status_times]),
            actor=actor,
            reason=request.reason,
            changed=["status"],
            fingerprint=request.fingerprint(),
            status=request.status,
        )
        return lambda: store.set_member_status(member_id, record.rev, change)

    return _change_member(
        store, member_id, request.change_id, request.fingerprint(), "status", attempt
    )


def set_member_hold(
    *,
    store: GraphStore,
    member_id: str,
    request: HoldRequest,
    hold: bool,
    actor: Actor,
    now: int,
) -> HoldState:
    """Puts her on payout hold with the reason (`hold`), or releases her; whether this call
    changed her (False: a retry, or she is held or free already). Batches skip a member on
    hold and name the reason; her entries keep accruing."""
    kind: ChangeKind = "hold" if hold else "release"

    def attempt(record: MemberRecord) -> Callable[[], bool] | None:
        if (record.hold_reason is not None) == hold:
            return None
        change = StoredChange(
            change_id=request.change_id,
            member_id=member_id,
            kind=kind,
            at=now,
            actor=actor,
            reason=request.reason,
            changed=["hold"],
            fingerprint=request.fingerprint(),
        )
        reason = request.reason if hold else None
        return lambda: store.set_member_hold(member_id, record.rev, reason, change)

    _change_member(store, member_id, request.change_id, request.fingerprint(), kind, attempt)
    reason = member_record(store, member_id).hold_reason
    return HoldState(member_id=member_id, on_hold=reason is not None, reason=reason)


def move_sponsor(
    *,
    store: GraphStore,
    ladder: TierLadder,
    member_id: str,
    request: SponsorMoveRequest,
    actor: Actor,
    now: int,
) -> tuple[Member, bool]:
    """Her record under the new sponsor, and whether this call moved her (False: a retry, or
    she is under that sponsor already). She moves with her whole downline; the ledger keeps
    the paths it paid through, later events follow the new one, and both sponsors' tier
    histories follow from the move's moment."""
    effective_at = now if request.effective_at is None else request.effective_at
    if effective_at > now:
        raise InvalidInput(
            f"effective_at {iso_moment(effective_at)} is in the future", field="effective_at"
        )
    if request.inviter_id == member_id:
        raise InvalidInput(f"member {member_id} cannot sponsor herself", field="inviter_id")

    def attempt(record: MemberRecord) -> Callable[[], bool] | None:
        if record.inviter_id == request.inviter_id:
            return None
        _check_new_sponsor(store, member_id, request.inviter_id, effective_at)
        latest = store.sponsor_move_blocker(member_id)
        if latest is not None and latest >= effective_at:
            raise Conflict(
                f"effective_at {iso_moment(effective_at)} is not after "
                f"{iso_moment(latest)}, when an event of member {member_id} was already "
                "priced through her present sponsor",
                member_id=member_id,
                latest_priced_at=latest,
            )
        change = StoredChange(
            change_id=request.change_id,
            member_id=member_id,
            kind="sponsor",
            at=now,
            actor=actor,
            reason=request.reason,
            changed=["inviter_id"],
            fingerprint=request.fingerprint(),
            inviter_id=request.inviter_id,
            previous_inviter_id=record.inviter_id,
            effective_at=effective_at,
        )
        return lambda: store.move_sponsor(
            member_id, record.rev, request.inviter_id, effective_at, change
        )

    moved = _change_member(
        store, member_id, request.change_id, request.fingerprint(), "sponsor", attempt
    )
    # Also on a retry: it writes what a crash after the move left missing, nothing otherwise.
    made = store.member_change(request.change_id)
    if made is not None:
        for sponsor in (made.previous_inviter_id, made.inviter_id):
            if sponsor is not None:
                settle_tier_history(store=store, ladder=ladder, member_id=sponsor)
    return moved


def undo_paid_mark(
    *,
    store: GraphStore,
    ladder: TierLadder,
    member_id: str,
    request: PaidUndoRequest,
    actor: Actor,
    now: int,
) -> tuple[Member, bool]:
    """Her record unpaid from now on, and whether this call undid the mark (False: a retry).
    Her upline's paid counters and her inviter's tier step back (recorded as tier changes
    from now), the referral bonus her first mark earned is reversed by a reversal entry, and
    the network as of an earlier moment still shows her paid."""

    def attempt(record: MemberRecord) -> Callable[[], bool]:
        if record.paid_at is None:
            raise Conflict(f"member {member_id} is not paid", member_id=member_id)
        undone_at = max(now, record.paid_at)
        change = StoredChange(
            change_id=request.change_id,
            member_id=member_id,
            kind="paid_undo",
            at=now,
            actor=actor,
            reason=request.reason,
            changed=["paid_at"],
            fingerprint=request.fingerprint(),
        )
        return lambda: store.undo_paid(member_id, record.rev, undone_at, change)

    undone = _change_member(
        store, member_id, request.change_id, request.fingerprint(), "paid_undo", attempt
    )
    # Also on a retry: it writes what a crash after the undo left missing, nothing otherwise.
    settle_sponsors(store=store, ladder=ladder, member_ids=[member_id])
    reverse_paid_bonus(store=store, member_id=member_id, now=now)
    return undone


def _check_new_sponsor(store: GraphStore, member_id: str, sponsor_id: str, at: int) -> None:
    """Raises why `sponsor_id` cannot sponsor her from `at` on: not a member, not joined
    by then, or in her downline (a cycle)."""
    found = store.get_members([sponsor_id])
    if not found:
        raise InvalidInput(f"inviter {sponsor_id} is not a member", field="inviter_id")
    if found[0].joined_at > at:
        raise InvalidInput(
            f"inviter {sponsor_id} joined at {iso_moment(found[0].joined_at)}, after the move "
            f"takes effect ({iso_moment(at)})",
            field="effective_at",
        )
    if member_id in (store.upline(sponsor_id, MAX_CHAIN) or []):
        raise Conflict(
            f"inviter {sponsor_id} is in the downline of member {member_id}: the move would "
            "make a cycle",
            member_id=member_id,
            inviter_id=sponsor_id,
        )


def _change_member(
    store: GraphStore,
    member_id: str,
    change_id: str,
    fingerprint: str,
    kind: ChangeKind,
    attempt: Attempt,
) -> tuple[Member, bool]:
    """Reads her, decides, writes only over what it read; again after a wait while she keeps
    changing. Returns her as stored and whether this call changed her (False: a retry of a
    change already made, or nothing to change)."""
    for round_ in range(EDIT_ATTEMPTS):
        _wait_before(round_)
        if _already_made(store, change_id, member_id, fingerprint, kind):
            return Member.from_record(member_record(store, member_id)), False
        record = member_record(store, member_id)
        write = attempt(record)
        if write is None:
            return Member.from_record(record), False
        if write():
            return Member.from_record(member_record(store, member_id)), True
    raise Conflict(f"member {member_id} kept changing during this {kind}; retry it")


def member_history(*, store: GraphStore, member_id: str) -> MemberHistory:
    member_record(store, member_id)  # 404 for an unknown member, not an empty trail
    return MemberHistory(member_id=member_id, items=store.member_history(member_id))


def _wait_before(attempt: int) -> None:
    if attempt:
        time.sleep(random.uniform(0, attempt * RETRY_WAIT_S))


def _already_made(
    store: GraphStore, change_id: str, member_id: str, fingerprint: str, kind: ChangeKind
) -> bool:
    """Whether this change was made already (a retry); a Conflict when its id was used for
    another change."""
    stored = store.member_change(change_id)
    if stored is None:
        return False
    if (stored.member_id, stored.kind, stored.fingerprint) != (member_id, kind, fingerprint):
        raise Conflict(
            f"change_id {change_id} was used for another change "
            f"({stored.kind} of member {stored.member_id})",
            change_id=change_id,
        )
    return True
