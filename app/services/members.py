"""Member use cases: register, mark paid, and the reads the storefront lives on."""

from __future__ import annotations

import json

from app.core.errors import Conflict, InvalidInput, NotFound
from app.domain.members import (
    TRACKED_LEVELS,
    DownlineCounts,
    Member,
    MemberCreate,
    MemberRecord,
    NewMemberRow,
    PaidRow,
    TierStatus,
    Upline,
    downline_counts,
    downline_counts_from_levels,
    joined_before_inviter,
    registration_conflicts,
    tier_status,
)
from app.domain.spend import SpendLadder
from app.domain.text import servable_text
from app.domain.tiers import TierLadder, tier_reached
from app.domain.units import iso_moment
from app.services.identity import record_identity
from app.services.paid_bonuses import grant_paid_bonus
from app.services.referral_codes import with_inviter_from_code
from app.services.tier_histories import settle_sponsors
from app.store.port import GraphStore

MAX_UPLINE = 1000


def register_member(
    *, store: GraphStore, ladder: TierLadder, request: MemberCreate, now: int
) -> tuple[Member, bool]:
    """Returns the member and whether this call created her. A retry of the same registration
    returns the stored member; the same id with another inviter or payload is a Conflict."""
    request = with_inviter_from_code(store, request)
    try:
        attributes_json = request.attributes_json()
    except ValueError as error:
        raise InvalidInput(str(error), field="attributes") from error
    if request.inviter_id is not None and request.inviter_id == request.id:
        raise InvalidInput(f"member {request.id} cannot invite herself", field="inviter_id")
    row = NewMemberRow(
        id=request.id,
        inviter_id=request.inviter_id,
        name=request.name,
        joined_at=request.joined_at if request.joined_at is not None else now,
        attributes_json=attributes_json,
    )
    # Two tries: an inviter registered concurrently between our write and our check.
    for _ in range(2):
        if store.register_members([row], ladder):
            record_identity(store, row.id, request.identity, row.joined_at, now)
            return _as_registered(row, ladder), True
        stored = store.get_members([row.id])
        if stored:
            differences = registration_conflicts(
                stored[0], row, joined_at_given=request.joined_at is not None
            )
            if differences:
                raise Conflict(
                    f"member {row.id} is already registered with a different "
                    + ", ".join(differences),
                    member_id=row.id,
                    conflicting_fields=differences,
                )
            # A retry: the facts its first try may not have written.
            record_identity(store, row.id, request.identity, stored[0].joined_at, now)
            return Member.from_record(stored[0]), False
        if row.inviter_id is not None:
            _check_inviter(store, row.inviter_id, row.joined_at, request.joined_at is not None)
    raise Conflict(f"registration of {row.id} kept racing with other writes; retry it")


def _as_registered(row: NewMemberRow, ladder: TierLadder) -> Member:
    """The member as register_members has just stored her (her row, unpaid, at the ladder's
    base tier), as reading her back would answer: that read was one of a registration's two
    round trips, and the group commit's writers queue behind it under a hot root."""
    return Member(
        id=row.id,
        inviter_id=row.inviter_id,
        name=None if row.name is None else servable_text(row.name),
        joined_at=row.joined_at,
        paid_at=None,
        tier=ladder.base_tier,
        attributes=None if row.attributes_json is None else json.loads(row.attributes_json),
    )


def _check_inviter(store: GraphStore, inviter_id: str, joined_at: int, given: bool) -> None:
    """Raises why the store refused a registration under `inviter_id`, when the inviter is the
    reason: she is not a member, or she joined after `joined_at` (`given`: by the client, not
    defaulted to now)."""
    found = store.get_members([inviter_id])
    if not found:
        raise InvalidInput(f"inviter {inviter_id} is not a member", field="inviter_id")
    inviter_joined_at = found[0].joined_at
    reason = joined_before_inviter(joined_at, inviter_id, inviter_joined_at)
    if reason is not None:
        raise InvalidInput(
            reason + ("" if given else " (joined_at was not given: now)"),
            field="joined_at",
            inviter_joined_at=inviter_joined_at,
        )


def mark_member_paid(
    *, store: GraphStore, ladder: TierLadder, member_id: str, paid_at: int | None, now: int
) -> Member:
    """Idempotent: marking a paid member again returns her unchanged, unless the request names
    another paid time (a Conflict)."""
    record = member_record(store, member_id)
    when = paid_at if paid_at is not None else now
    if record.paid_at is None and record.paid_until and when < record.paid_until[-1]:
        raise Conflict(
            f"member {member_id} was paid until {iso_moment(record.paid_until[-1])}, when that "
            f"mark was undone: a paid mark at {iso_moment(when)} is the one undone or older",
            member_id=member_id,
            conflicting_fields=["paid_at"],
        )
    if record.paid_at is None:
        if when < record.joined_at:
            raise InvalidInput(
                f"paid_at {iso_moment(when)} is before member {member_id} joined "
                f"({iso_moment(record.joined_at)})",
                field="paid_at",
            )
        store.mark_paid([PaidRow(id=member_id, paid_at=when)], ladder)
        record = member_record(store, member_id)
    if paid_at is not None and record.paid_at != paid_at:
        stored = "no recorded time" if record.paid_at is None else iso_moment(record.paid_at)
        raise Conflict(
            f"member {member_id} is already paid at {stored}",
            member_id=member_id,
            conflicting_fields=["paid_at"],
        )
    # Also on a retry: it writes a bonus and a tier history a crash left missing, and nothing
    # otherwise.
    settle_sponsors(store=store, ladder=ladder, member_ids=[member_id])
    grant_paid_bonus(store=store, ladder=ladder, member_id=member_id, now=now)
    return Member.from_record(record)


def get_member(*, store: GraphStore, member_id: str) -> Member:
    return Member.from_record(member_record(store, member_id))


def get_tier_status(
    *,
    store: GraphStore,
    ladder: TierLadder,
    spend_ladder: SpendLadder,
    member_id: str,
    now: int,
    as_of: int | None = None,
) -> TierStatus:
    """Both ladders now, in one store read: the tier from the maintained counter, the spend
    level and super membership from her purchases and memberships. At `as_of`: the tier held
    then, from the recorded history and the invitees paid by then, and the spend level and
    super membership then."""
    at = now if as_of is None else as_of
    snapshot = store.tier_snapshot(member_id, at, spend_ladder)
    if snapshot is None:
        raise NotFound(f"member {member_id} does not exist", member_id=member_id)
    if as_of is None:
        return tier_status(member_id, snapshot, ladder, spend_ladder, at)
    if as_of < snapshot.joined_at:
        raise InvalidInput(
            f"member {member_id} joined at {iso_moment(snapshot.joined_at)}, after as_of "
            f"{iso_moment(as_of)}",
            field="as_of",
        )
    changes = store.tier_changes_until(member_id, as_of)
    tier = tier_reached((change.stamp() for change in changes), ladder)
    past = snapshot.model_copy(
        update={
            "tier": tier,
            "since": min((c.at for c in changes if c.tier == tier), default=snapshot.joined_at),
            "paid_direct_invites": store.paid_direct_invites_at(member_id, as_of),
        }
    )
    return tier_status(member_id, past, ladder, spend_ladder, at)


def get_downline_counts(
    *, store: GraphStore, member_id: str, max_depth: int, as_of: int | None = None
) -> DownlineCounts:
    """From her counters; at `as_of`, from a walk of her downline as it stood then."""
    if not 1 <= max_depth <= TRACKED_LEVELS:
        raise InvalidInput(f"max_depth must be between 1 and {TRACKED_LEVELS}", field="max_depth")
    record = member_record(store, member_id)
    if as_of is None:
        return downline_counts(record, max_depth)
    _joined_by(record, as_of)
    return downline_counts_from_levels(
        member_id, store.downline_levels_at(member_id, as_of), max_depth
    )


def get_upline(
    *, store: GraphStore, member_id: str, limit: int, as_of: int | None = None
) -> Upline:
    """Her inviter up to the root; at `as_of`, along the invitation edges valid then (before
    a sponsor move: the old sponsor)."""
    if not 1 <= limit <= MAX_UPLINE:
        raise InvalidInput(f"limit must be between 1 and {MAX_UPLINE}", field="limit")
    if as_of is None:
        path = store.upline(member_id, limit)
    else:
        _joined_by(member_record(store, member_id), as_of)
        path = store.upline_at(member_id, limit, as_of)
    if path is None:
        raise NotFound(f"member {member_id} does not exist", member_id=member_id)
    return Upline(member_id=member_id, path=path)


def _joined_by(record: MemberRecord, as_of: int) -> None:
    if record.joined_at > as_of:
        raise NotFound(
            f"member {record.id} had not joined at {iso_moment(as_of)} "
            f"(she joined {iso_moment(record.joined_at)})",
            member_id=record.id,
        )


def member_record(store: GraphStore, member_id: str) -> MemberRecord:
    found = store.get_members([member_id])
    if not found:
        raise NotFound(f"member {member_id} does not exist", member_id=member_id)
    return found[0]
