"""Members and their counters: input, storage and output models, and the pure rules that
compare a retried registration with what is stored."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.domain.identity import IdentityFacts
from app.domain.referral_codes import ReferralCode
from app.domain.spend import (
    PointsGain,
    Purchase,
    SpendLadder,
    SpendStatus,
    SuperMembershipStatus,
    Term,
    spend_status,
    super_membership_status,
)
from app.domain.text import (
    MAX_ATTRIBUTES_BYTES,
    MAX_ATTRIBUTES_DEPTH,
    VALID_UNICODE,
    check_json_document,
    servable_json,
    servable_text,
)
from app.domain.tiers import TierLadder, TierStamp
from app.domain.units import EpochMs, iso_moment

# What an external id may not hold: control characters (NUL above all ends a FalkorDB query
# header), whitespace (Unicode White_Space) and the slash (ids travel in URL paths). Written
# out with \xHH and \uHHHH escapes, never `\s`: the pattern is enforced by pydantic (Rust
# regex) and published in the OpenAPI document (ECMA-262 regex), whose `\s` differ (U+0085
# is whitespace to Rust, not to ECMA-262), so clients built from the document sent ids the
# code then refused. The set is exactly what the `\s` pattern enforced before, so every id
# already stored still reads back.
ID_EXCLUDED = r"\x00-\x20\x7f\x85\xa0/\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
MAX_ID_LENGTH = 128
ID_PATTERN = rf"^[^{ID_EXCLUDED}]{{1,{MAX_ID_LENGTH}}}$"
MemberId = Annotated[str, StringConstraints(pattern=ID_PATTERN), VALID_UNICODE]
# Ids the service makes from ids (ledger entries: `o:{order}:{rule}:{hop}`) or hands out
# (job ids): an id's characters, a longer bound. Looked up, never written from a request.
DerivedId = Annotated[
    str, StringConstraints(pattern=rf"^[^{ID_EXCLUDED}]{{1,{2 * MAX_ID_LENGTH}}}$"), VALID_UNICODE
]
# Free text may hold anything printable; control characters are refused.
DisplayName = Annotated[
    str, StringConstraints(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$"), VALID_UNICODE
]
# Per-level counters are kept for this many levels below a member; deeper levels still
# count in the downline totals.
TRACKED_LEVELS = 10


class MemberCreate(BaseModel):
    """A registration as the storefront sends it."""

    model_config = ConfigDict(extra="forbid")

    id: MemberId
    inviter_id: MemberId | None = None
    referral_code: ReferralCode | None = Field(
        default=None,
        description="Her inviter's referral code (from the share link), instead of inviter_id",
    )
    name: DisplayName | None = None
    joined_at: EpochMs | None = None
    attributes: dict[str, Any] | None = Field(
        default=None,
        description=f"Free-form JSON: at most {MAX_ATTRIBUTES_DEPTH} levels deep and "
        f"{MAX_ATTRIBUTES_BYTES} bytes encoded; valid Unicode and finite numbers only",
    )
    identity: IdentityFacts | None = Field(
        default=None,
        description="Hashed contact and device facts for abuse signals; never answered to the "
        "storefront, deleted by an erasure",
    )

    @field_validator("attributes")
    @classmethod
    def storable_attributes(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        """Refused here, before anything is written, rather than stored and then failing
        every answer that holds her (the read, a retry, her paid mark)."""
        if value is None:
            return None
        check_json_document(value, max_depth=MAX_ATTRIBUTES_DEPTH)
        if len(_encode_attributes(value).encode()) > MAX_ATTRIBUTES_BYTES:
            raise ValueError(f"attributes must encode to at most {MAX_ATTRIBUTES_BYTES} bytes")
        return value

    def attributes_json(self) -> str | None:
        return None if self.attributes is None else _encode_attributes(self.attributes)


def _encode_attributes(attributes: dict[str, Any]) -> str:
    return json.dumps(attributes, sort_keys=True, separators=(",", ":"))


class PaidMark(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paid_at: EpochMs | None = None


class NewMemberRow(BaseModel):
    """What the store writes for one registration (times resolved, attributes encoded)."""

    id: str
    inviter_id: str | None
    name: str | None
    joined_at: int
    attributes_json: str | None


class PaidRow(BaseModel):
    id: str
    paid_at: int


class MemberRecord(BaseModel):
    """A member as stored, with her maintained counters."""

    id: str
    inviter_id: str | None
    name: str | None
    joined_at: int
    paid_at: int | None
    attributes_json: str | None
    depth: int
    tier: str
    tier_since: int
    downline_total: int
    downline_paid: int
    levels_total: list[int]
    levels_paid: list[int]
    erased_at: int | None = None
    rev: int = 0  # bumped by every lifecycle change: an edit writes only over what it read
    # Her status history (app/domain/lifecycle.py, status_at): when each status began.
    status_times: list[int] = Field(default_factory=list)
    statuses: list[str] = Field(default_factory=list)
    # Paid marks undone: she was paid from each paid_since to its paid_until (exclusive).
    paid_since: list[int] = Field(default_factory=list)
    paid_until: list[int] = Field(default_factory=list)
    # Why payouts skip her (app/domain/payouts.py); None: not on hold.
    hold_reason: str | None = None

    def paid_mark_at(self, at: int) -> int | None:
        """The paid time of the mark that held at `at` (her mark, or one undone since);
        None when she was not paid then."""
        if self.paid_at is not None and self.paid_at <= at:
            return self.paid_at
        spans = zip(self.paid_since, self.paid_until, strict=True)
        return next((since for since, until in spans if since <= at < until), None)

    def paid_then(self, at: int) -> bool:
        return self.paid_mark_at(at) is not None

    @property
    def status(self) -> str:
        return self.statuses[-1] if self.statuses else "active"

    @property
    def direct_total(self) -> int:
        return self.levels_total[0]

    @property
    def direct_paid(self) -> int:
        return self.levels_paid[0]

    @property
    def attributes(self) -> dict[str, Any] | None:
        """As an answer can carry them, also when an older version stored what is refused
        now (app/domain/text.py: servable_json); None when the stored text is no object."""
        if self.attributes_json is None:
            return None
        value = servable_json(self.attributes_json, max_depth=MAX_ATTRIBUTES_DEPTH)
        return value if isinstance(value, dict) else None


class Member(BaseModel):
    """A member as clients see her."""

    id: str
    inviter_id: str | None
    name: str | None
    joined_at: int
    paid_at: int | None
    tier: str
    attributes: dict[str, Any] | None = None
    erased_at: int | None = Field(
        default=None,
        description="When her personal data was erased (name and attributes are then null)",
    )
    status: str = Field(
        default="active",
        description="active, inactive or terminated; the plan says what rewards that would "
        "reach an inactive or terminated member do",
    )

    @classmethod
    def from_record(cls, record: MemberRecord) -> Member:
        return cls(
            id=record.id,
            inviter_id=record.inviter_id,
            name=None if record.name is None else servable_text(record.name),
            joined_at=record.joined_at,
            paid_at=record.paid_at,
            tier=record.tier,
            attributes=record.attributes,
            erased_at=record.erased_at,
            status=record.status,
        )


class TierChange(BaseModel):
    member_id: str
    seq: int
    tier: str
    previous: str
    at: int
    floor: bool = Field(
        default=False,
        description="A step down or a rewrite after one: from `at` on she holds exactly "
        "this tier (earlier changes no longer count)",
    )

    def stamp(self) -> TierStamp:
        return TierStamp(self.at, self.seq, self.tier, self.floor)


class TierStatus(BaseModel):
    """Both ladders at one moment: the honour tier (invitations) and the spend level, with
    her super membership."""

    member_id: str
    tier: str
    paid_direct_invites: int
    next_tier: str | None
    invites_to_next: int | None
    since: int
    spend: SpendStatus
    super_membership: SuperMembershipStatus


class LevelCount(BaseModel):
    depth: int
    total: int
    paid: int


class DownlineCounts(BaseModel):
    member_id: str
    direct_total: int
    direct_paid: int
    downline_total: int
    downline_paid: int
    levels: list[LevelCount]


class Upline(BaseModel):
    member_id: str
    path: list[str]


def registration_conflicts(
    stored: MemberRecord, request: NewMemberRow, *, joined_at_given: bool
) -> list[str]:
    """Fields where a repeated registration differs from the stored one (empty: a safe retry).
    A default `joined_at` (now) differs on every retry, so it only counts when the client set it."""
    differences = []
    if stored.inviter_id != request.inviter_id:
        differences.append("inviter_id")
    if stored.name != request.name:
        differences.append("name")
    if stored.attributes_json != request.attributes_json:
        differences.append("attributes")
    if joined_at_given and stored.joined_at != request.joined_at:
        differences.append("joined_at")
    return differences


def joined_before_inviter(joined_at: int, inviter_id: str, inviter_joined_at: int) -> str | None:
    """Why a member may not join at `joined_at` under an inviter who joined at
    `inviter_joined_at` (None: she may). Joining in the inviter's own millisecond is fine:
    imported dates often have day resolution."""
    if joined_at >= inviter_joined_at:
        return None
    return (
        f"joined_at {iso_moment(joined_at)} is before her inviter {inviter_id} joined "
        f"({iso_moment(inviter_joined_at)})"
    )


class TierSnapshot(BaseModel):
    """What the store holds behind a tier answer at a moment: the honour tier's counter, her
    purchases of the two years before it and her super memberships."""

    tier: str
    since: int
    paid_direct_invites: int
    joined_at: int
    purchases: list[Purchase] = Field(default_factory=list)
    memberships: list[Term] = Field(default_factory=list)
    # Her points of the two years (only when the spend ladder counts points).
    points: list[PointsGain] = Field(default_factory=list)


def tier_status(
    member_id: str,
    snapshot: TierSnapshot,
    ladder: TierLadder,
    spend_ladder: SpendLadder,
    at: int,
) -> TierStatus:
    nxt = ladder.next_step(snapshot.paid_direct_invites)
    return TierStatus(
        member_id=member_id,
        tier=snapshot.tier,
        paid_direct_invites=snapshot.paid_direct_invites,
        next_tier=nxt.tier if nxt else None,
        invites_to_next=nxt.min_paid_invites - snapshot.paid_direct_invites if nxt else None,
        since=snapshot.since,
        spend=spend_status(snapshot.purchases, at, spend_ladder, snapshot.points),
        super_membership=super_membership_status(snapshot.memberships, at),
    )


def downline_counts_from_levels(
    member_id: str, levels: list[LevelCount], max_depth: int
) -> DownlineCounts:
    """Counts from a walk's per-level rows (every level): totals over all of them, the
    histogram to `max_depth`, empty levels included."""
    by_depth = {level.depth: level for level in levels}
    return DownlineCounts(
        member_id=member_id,
        direct_total=by_depth[1].total if 1 in by_depth else 0,
        direct_paid=by_depth[1].paid if 1 in by_depth else 0,
        downline_total=sum(level.total for level in levels),
        downline_paid=sum(level.paid for level in levels),
        levels=[
            by_depth.get(depth, LevelCount(depth=depth, total=0, paid=0))
            for depth in range(1, max_depth + 1)
        ],
    )


def downline_counts(record: MemberRecord, max_depth: int) -> DownlineCounts:
    return DownlineCounts(
        member_id=record.id,
        direct_total=record.direct_total,
        direct_paid=record.direct_paid,
        downline_total=record.downline_total,
        downline_paid=record.downline_paid,
        levels=[
            LevelCount(depth=depth + 1, total=total, paid=paid)
            for depth, (total, paid) in enumerate(
                zip(record.levels_total[:max_depth], record.levels_paid[:max_depth], strict=True)
            )
        ],
    )
