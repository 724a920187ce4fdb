"""A member's lifecycle after registration: corrections of her name and attributes, erasure
of her personal data, and the audit trail each change leaves (who, when, what, why), with
the pure rules they follow. What changed is named, never shown: a trail that held old names
would bring back what an erasure removed."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.domain.identity import IdentityFacts
from app.domain.members import DisplayName, MemberId
from app.domain.text import (
    MAX_ATTRIBUTES_BYTES,
    MAX_ATTRIBUTES_DEPTH,
    VALID_UNICODE,
    check_json_document,
)
from app.domain.units import EpochMs

ChangeKind = Literal["edit", "erasure", "status", "sponsor", "paid_undo", "hold", "release"]
MemberStatus = Literal["active", "inactive", "terminated"]
# Where a status may go: an inactive member may come back; a terminated one stays.
STATUS_MOVES: dict[str, set[str]] = {
    "active": {"inactive", "terminated"},
    "inactive": {"active", "terminated"},
    "terminated": set(),
}
# Why a change was made, as the operator wrote it.
Reason = Annotated[
    str,
    StringConstraints(min_length=1, max_length=500, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$"),
    VALID_UNICODE,
]
CHANGE_ID_DESCRIPTION = (
    "The client's id for this change: sending it again is a retry and changes nothing more"
)


class Actor(BaseModel):
    """Who made a change: the role of the API key and an id of the key (a digest; the key
    itself is never stored)."""

    role: str
    key_id: str


def key_id(key: str) -> str:
    """A short, stable id of an API key that cannot be turned back into the key."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


class MemberPatch(BaseModel):
    """`PATCH /v1/members/{id}`: a JSON merge patch (RFC 7386) of her name and attributes,
    with the change's id and reason. A field left out stays; `null` removes it; inside
    `attributes`, a key set to null is removed and an object merges into the one there."""

    model_config = ConfigDict(extra="forbid")

    change_id: MemberId = Field(description=CHANGE_ID_DESCRIPTION)
    reason: Reason | None = None
    name: DisplayName | None = None
    attributes: dict[str, Any] | None = None
    identity: IdentityFacts | None = Field(
        default=None,
        description="Identity facts to add to hers (a fact once seen stays; see POST "
        "/v1/members); never answered to the storefront",
    )

    def fingerprint(self) -> str:
        """What makes two requests with one change_id the same request."""
        return _fingerprint(self.model_dump(mode="json", exclude_unset=True))


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    change_id: MemberId = Field(description=CHANGE_ID_DESCRIPTION)
    reason: Reason

    def fingerprint(self) -> str:
        return _fingerprint(self.model_dump(mode="json"))


class HoldRequest(BaseModel):
    """`POST /v1/members/{id}/hold` and `…/hold/release`: payouts skip her (or pay her again)."""

    model_config = ConfigDict(extra="forbid")

    change_id: MemberId = Field(description=CHANGE_ID_DESCRIPTION)
    reason: Reason

    def fingerprint(self) -> str:
        return _fingerprint(self.model_dump(mode="json"))


class HoldState(BaseModel):
    member_id: str
    on_hold: bool = Field(description="Payout batches skip her while she is on hold")
    reason: str | None = Field(description="Why, as the admin wrote it")


class StatusRequest(BaseModel):
    """`POST /v1/members/{id}/status`."""

    model_config = ConfigDict(extra="forbid")

    change_id: MemberId = Field(description=CHANGE_ID_DESCRIPTION)
    status: MemberStatus
    reason: Reason

    def fingerprint(self) -> str:
        return _fingerprint(self.model_dump(mode="json"))


class SponsorMoveRequest(BaseModel):
    """`POST /v1/members/{id}/sponsor`: move her, with her whole downline, under another
    sponsor from `effective_at` on (default: now)."""

    model_config = ConfigDict(extra="forbid")

    change_id: MemberId = Field(description=CHANGE_ID_DESCRIPTION)
    inviter_id: MemberId = Field(description="Her new sponsor")
    effective_at: EpochMs | None = Field(
        default=None,
        description="When the move takes effect (epoch ms or ISO-8601 with a zone; default "
        "now): never before an event already priced through her old sponsor, never in the "
        "future",
    )
    reason: Reason

    def fingerprint(self) -> str:
        return _fingerprint(self.model_dump(mode="json"))


class PaidUndoRequest(BaseModel):
    """`POST /v1/members/{id}/paid/undo`: her paid mark was wrong (a payment reversed, a
    mark made in error)."""

    model_config = ConfigDict(extra="forbid")

    change_id: MemberId = Field(description=CHANGE_ID_DESCRIPTION)
    reason: Reason

    def fingerprint(self) -> str:
        return _fingerprint(self.model_dump(mode="json"))


def status_move_problem(current: str, wanted: str) -> str | None:
    """Why a member at `current` may not move to `wanted` (None: she may; staying is fine)."""
    if wanted == current or wanted in STATUS_MOVES.get(current, set()):
        return None
    if current == "terminated":
        return "a terminated member stays terminated"
    return f"a member cannot go from {current} to {wanted}"


def status_at(times: list[int], statuses: list[str], at: int) -> str:
    """Her status at `at` from her status history (active before any change). A change
    takes effect at its own moment."""
    current = "active"
    for moment, status in zip(times, statuses, strict=True):
        if moment > at:
            break
        current = status
    return current


def _fingerprint(document: dict[str, Any]) -> str:
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: an object patch merges key by key (null removes), anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def patched_attributes(current: dict[str, Any] | None, patch: MemberPatch) -> dict[str, Any] | None:
    """Her attributes after the patch (None: none left), held to the registration's limits."""
    if "attributes" not in patch.model_fields_set:
        return current
    if patch.attributes is None:
        return None
    merged = merge_patch(current or {}, patch.attributes)
    check_json_document(merged, max_depth=MAX_ATTRIBUTES_DEPTH)
    encoded = json.dumps(merged, sort_keys=True, separators=(",", ":"))
    if len(encoded.encode()) > MAX_ATTRIBUTES_BYTES:
        raise ValueError(f"attributes must encode to at most {MAX_ATTRIBUTES_BYTES} bytes")
    return merged or None


def changed_paths(
    before: tuple[str | None, dict[str, Any] | None],
    after: tuple[str | None, dict[str, Any] | None],
) -> list[str]:
    """The fields an edit changed, as paths (`name`, `attributes.city`): the trail says what
    changed without holding a value."""
    paths = ["name"] if before[0] != after[0] else []
    old, new = before[1] or {}, after[1] or {}
    paths.extend(
        f"attributes.{key}"
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    )
    return paths


class MemberChange(BaseModel):
    """One entry of a member's audit trail."""

    change_id: str
    member_id: str
    kind: ChangeKind
    at: int = Field(description="When the change was made (epoch ms)")
    actor: Actor
    reason: str | None
    changed: list[str] = Field(description="What changed, by field; never the values")
    status: MemberStatus | None = Field(
        default=None, description="The status a status change set (a status is no personal data)"
    )
    inviter_id: str | None = Field(default=None, description="A sponsor move's new sponsor")
    previous_inviter_id: str | None = Field(
        default=None, description="A sponsor move's old sponsor (null: she was a root)"
    )
    effective_at: int | None = Field(
        default=None, description="When a sponsor move took effect (epoch ms)"
    )


class StoredChange(MemberChange):
    """A change as the store keeps it: with the fingerprint of the request that made it."""

    fingerprint: str


class MemberHistory(BaseModel):
    member_id: str
    items: list[MemberChange] = Field(description="Her changes, oldest first")
