"""Member lifecycle use cases: correct her name and attributes, erase her personal data, read
her audit trail. Each change is one statement with its audit entry, and a retry with the same
change id changes nothing more."""

from __future__ import annotations

import json
import random
import time

from app.core.errors import Conflict, InvalidInput
from app.domain.lifecycle import (
    Actor,
    ChangeKind,
    ErasureRequest,
    MemberHistory,
    MemberPatch,
    StatusRequest,
    StoredChange,
    changed_paths,
    patched_attributes,
    status_move_problem,
)
from app.domain.members import Member
from app.domain.search import search_key
from app.services.members import member_record
from app.store.port import GraphStore

# Reads and conditional writes a change tries before saying the member kept changing; each
# retry waits a random moment up to attempt x RETRY_WAIT_S, so writers racing on one member
# spread out instead of colliding again.
EDIT_ATTEMPTS = 20
RETRY_WAIT_S = 0.002


def edit_member(
    *, store: GraphStore, member_id: str, patch: MemberPatch, actor: Actor, now: int
) -> tuple[Member, bool]:
    """Her name and attributes after the merge patch, and whether this call changed them."""
    for attempt in range(EDIT_ATTEMPTS):
        _wait_before(attempt)
        if _already_made(store, patch.change_id, member_id, patch.fingerprint(), "edit"):
            return Member.from_record(member_record(store, member_id)), False
        record = member_record(store, member_id)
        if record.erased_at is not None:
            raise Conflict(
                f"member {member_id} was erased: her personal data is not taken again",
                member_id=member_id,
            )
        name = patch.name if "name" in patch.model_fields_set else record.name
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
            changed=changed_paths((record.name, record.attributes), (name, attributes)),
            fingerprint=patch.fingerprint(),
        )
        attributes_json = (
            None
            if attributes is None
            else json.dumps(attributes, sort_keys=True, separators=(",", ":"))
        )
        name_key = None if name is None else search_key(name)
        if store.edit_member(member_id, record.rev, name, attributes_json, name_key, change):
            return Member.from_record(member_record(store, member_id)), True
    raise Conflict(f"member {member_id} kept changing while this edit was made; retry it")


def erase_member(
    *, store: GraphStore, member_id: str, request: ErasureRequest, actor: Actor, now: int
) -> tuple[Member, bool]:
    """Her record with the personal data gone, and whether this call erased it (False: a
    retry, or she was erased before)."""
    for attempt in range(EDIT_ATTEMPTS):
        _wait_before(attempt)
        if _already_made(store, request.change_id, member_id, request.fingerprint(), "erasure"):
            return Member.from_record(member_record(store, member_id)), False
        record = member_record(store, member_id)
        if record.erased_at is not None:
            return Member.from_record(record), False
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
        if store.erase_member(member_id, change):
            return Member.from_record(member_record(store, member_id)), True
    raise Conflict(f"member {member_id} kept changing while she was erased; retry it")


def set_member_status(
    *, store: GraphStore, member_id: str, request: StatusRequest, actor: Actor, now: int
) -> tuple[Member, bool]:
    """Her record at the new status, and whether this call changed it (False: a retry, or
    she is at that status already). From now on, rewards that would reach her while she is
    not active follow the plan's `inactive_members` rule."""
    for attempt in range(EDIT_ATTEMPTS):
        _wait_before(attempt)
        if _already_made(store, request.change_id, member_id, request.fingerprint(), "status"):
            return Member.from_record(member_record(store, member_id)), False
        record = member_record(store, member_id)
        if record.status == request.status:
            return Member.from_record(record), False
        problem = status_move_problem(record.status, request.status)
        if problem is not None:
            raise Conflict(f"member {member_id} is {record.status}: {problem}", member_id=member_id)
        # Never before what she already holds: a status history runs forward.
        at = max([now, *record.status_times])
        change = StoredChange(
            change_id=request.change_id,
            member_id=member_id,
            kind="status",
            at=at,
            actor=actor,
            reason=request.reason,
            changed=["status"],
            fingerprint=request.fingerprint(),
            status=request.status,
        )
        if store.set_member_status(member_id, record.rev, change):
            return Member.from_record(member_record(store, member_id)), True
    raise Conflict(f"member {member_id} kept changing while her status was set; retry it")


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
