"""Points use cases: a member's balance with what expires soon, her history, one-time grants
for profile actions and redemptions. Earning and take-backs are written with the order and
the refund (app/services/orders.py); the rules are app/domain/points.py."""

from __future__ import annotations

from app.core.errors import Conflict, InvalidInput, NotFound
from app.domain.ledger import plan_in_force
from app.domain.plans import Plan
from app.domain.points import (
    GrantCreate,
    PointsBalance,
    PointsEntry,
    PointsHistory,
    PointsRules,
    RedemptionCreate,
    grant_entry,
    points_state,
    redemption_id,
    redemption_value,
)
from app.domain.units import iso_moment
from app.domain.webhooks import notice_id, outbox_event
from app.services.cursors import decode_position, encode_position
from app.store.port import GraphStore, MemberPoints

# Each try re-reads her balance after a concurrent redemption of hers landed first.
WRITE_TRIES = 20
MAX_PAGE = 1000


def points_balance(*, store: GraphStore, member_id: str, at: int, within_ms: int) -> PointsBalance:
    """Her points at `at`, and the lots that expire by `at + within_ms`."""
    state = points_state(_member_points(store, member_id).entries, at)
    until = at + within_ms
    expiring = state.expiring_by(until)
    return PointsBalance(
        member_id=member_id,
        at=at,
        **state.model_dump(),
        expiring_until=until,
        expiring=expiring,
        expiring_points=sum(lot.points for lot in expiring),
    )


def points_history(
    *, store: GraphStore, member_id: str, cursor: str | None, limit: int
) -> PointsHistory:
    after = (-1, "") if cursor is None else decode_position(cursor)
    # One more than asked says whether another page exists without a count.
    entries = store.points_history(member_id, after, limit + 1)
    if not entries and cursor is None:
        _member_points(store, member_id)  # 404 for no such member, not an empty page
    page = entries[:limit]
    more = len(entries) > limit
    return PointsHistory(
        member_id=member_id,
        items=page,
        next_cursor=encode_position(page[-1].event_at, page[-1].id) if more else None,
    )


def grant_points(
    *, store: GraphStore, member_id: str, request: GrantCreate, now: int
) -> tuple[PointsEntry, bool]:
    """The grant as stored, and whether this call wrote it. Once per member and action: the
    same request again is a retry (the first answer); the action again under another id is
    a 409."""
    at = now if request.at is None else request.at
    member = _member_points(store, member_id)
    earlier = next((e for e in member.entries if e.request_id == request.id), None)
    if earlier is not None and earlier.kind == "grant":
        # A retry answers what the first call wrote, whatever plan is in force now.
        return _retried_grant(earlier, request), False
    plan, rules = _points_rules(store, at)
    if at < member.joined_at:
        raise InvalidInput(
            f"at {iso_moment(at)} is before member {member_id} joined "
            f"({iso_moment(member.joined_at)})",
            field="at",
        )
    entry = grant_entry(
        member_id=member_id,
        action=request.action,
        request_id=request.id,
        at=at,
        plan_version=plan.version,
        rules=rules,
        now=now,
    )
    if entry is None:
        known = ", ".join(sorted(rules.grants)) or "none"
        raise InvalidInput(
            f"action {request.action} earns no points under plan {plan.version} "
            f"(its actions: {known})",
            field="action",
        )
    written = store.record_points_grant(entry)
    if written is None:
        raise NotFound(f"member {member_id} does not exist", member_id=member_id)
    stored, created = written
    if stored.request_id != request.id:
        raise Conflict(
            f"member {member_id} was granted points for {request.action} already, by grant "
            f"{stored.request_id}; an action is granted once",
            grant_id=stored.request_id,
        )
    return (stored, True) if created else (_retried_grant(stored, request), False)


def _retried_grant(stored: PointsEntry, request: GrantCreate) -> PointsEntry:
    differences = [
        name
        for name, was, sent in (
            ("action", stored.action, request.action),
            ("at", stored.event_at, stored.event_at if request.at is None else request.at),
        )
        if was != sent
    ]
    if differences:
        raise Conflict(
            f"grant {request.id} was posted with a different " + ", ".join(differences),
            conflicting_fields=differences,
        )
    return stored


def redeem_points(
    *, store: GraphStore, member_id: str, request: RedemptionCreate, now: int
) -> tuple[PointsEntry, bool]:
    """The redemption as stored, and whether this call wrote it; refused (409) beyond her
    balance now. The same id again is a retry: the first answer, or a 409 when it differs."""
    member = _member_points(store, member_id)
    stored = next((e for e in member.entries if e.id == redemption_id(member_id, request.id)), None)
    if stored is not None:
        # A retry answers what the first call wrote, whatever plan is in force now.
        return _retried_redemption(stored, request), False
    plan, rules = _points_rules(store, now)
    value = redemption_value(rules, request.points)
    if value is None:
        step = rules.redemption
        raise InvalidInput(
            f"plan {plan.version} redeems no points"
            if step is None
            else f"points are redeemed in steps of {step.points} ({step.points} buy "
            f"{step.value} minor units of {plan.currency}); {request.points} is not one",
            field="points",
        )
    entry = PointsEntry(
        id=redemption_id(member_id, request.id),
        member_id=member_id,
        kind="redemption",
        points=-request.points,
        event_at=now,
        created_at=now,
        plan_version=plan.version,
        request_id=request.id,
        redemption_for=request.for_,
        value=value,
        currency=plan.currency,
    )
    for attempt in range(WRITE_TRIES):
        if attempt:  # a concurrent redemption of hers landed first (or this one's retry)
            member = _member_points(store, member_id)
            stored = next((e for e in member.entries if e.id == entry.id), None)
            if stored is not None:
                return _retried_redemption(stored, request), False
        balance = points_state(member.entries, now).balance
        if request.points > balance:
            raise Conflict(
                f"member {member_id} has {balance} points at {iso_moment(now)}; "
                f"{request.points} cannot be redeemed",
                balance=balance,
            )
        numbered = entry.model_copy(update={"seq": member.redemptions + 1})
        if store.record_redemption(numbered, expected_seq=member.redemptions):
            return numbered, True
    raise Conflict(f"redemption {request.id} kept racing with other redemptions; retry it")


def _retried_redemption(stored: PointsEntry, request: RedemptionCreate) -> PointsEntry:
    differences = [
        name
        for name, was, sent in (
            ("points", -stored.points, request.points),
            ("for", stored.redemption_for, request.for_),
        )
        if was != sent
    ]
    if differences:
        raise Conflict(
            f"redemption {request.id} was posted with a different " + ", ".join(differences),
            conflicting_fields=differences,
        )
    return stored


def _member_points(store: GraphStore, member_id: str) -> MemberPoints:
    found = store.points_of_member(member_id)
    if found is None:
        raise NotFound(f"member {member_id} does not exist", member_id=member_id)
    return found


def _points_rules(store: GraphStore, at: int) -> tuple[Plan, PointsRules]:
    plan = plan_in_force(store.plans(), at)
    if plan is None or plan.points is None:
        in_force = "no plan is" if plan is None else f"plan {plan.version}, which has no points,"
        raise InvalidInput(
            f"{in_force} in force at {iso_moment(at)}: no points are granted or redeemed"
        )
    return plan, plan.points


def notice_expiring_points(*, store: GraphStore, now: int, within_ms: int) -> int:
    """Writes a points.expiring event for each of a member's expiry dates within `within_ms`
    of `now` that still has points (her balance consumes the oldest lots first), once per
    member and date however often it is asked; how many were written now."""
    events = []
    for member_id in store.points_expiring_members(now, now + within_ms):
        state = points_state(_member_points(store, member_id).entries, now)
        due: dict[int, int] = {}
        for lot in state.expiring_by(now + within_ms):
            due[lot.expires_at] = due.get(lot.expires_at, 0) + lot.points
        events += [
            outbox_event(
                notice_id("points.expiring", member_id, str(expires_at)),
                "points.expiring",
                member_id,
                now,
                {
                    "member_id": member_id,
                    "expires_at": expires_at,
                    "points": points,
                    "balance": state.balance,
                },
            )
            for expires_at, points in sorted(due.items())
            if points > 0
        ]
    return store.put_outbox_events(events)
