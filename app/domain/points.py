"""Points (积分): a second, non-cash ledger per member, configured in the plan's `points`
section. Pure rules: the services write what these functions return, and `refgraph audit`
replays the same functions over the stored orders, refunds, grants and redemptions.

The rules, with points and money integers and times epoch ms:

- **Earning.** An order earns its buyer floor(amount * `earn.points` / `earn.per`) points
  under the plan in force at its `placed_at` (`{"points": 1, "per": 100}`: a point per yuan
  of fen; `{"points": 100, "per": 1000}`: 100 points per 10 yuan). None worth 0 is written.
- **Grants.** A one-time grant per profile action, from the plan's `grants` table
  (`{"claim_member_card": 100, "bind_phone": 200}`), at most once per member and action
  whatever the plan version.
- **Take-backs.** A refund takes back the order's share of what it earned: after refunds
  totalling R of an order of amount A that earned E, floor(E * R / A) has been taken back
  in all; each refund takes the step it adds. The floor rounds in the member's favour on a
  partial refund, the total is exactly E once the order is refunded in full, and the rule
  needs only the refunded total before the refund (no earlier take-back is read).
- **Expiry.** Points earned (or granted) in a calendar month (UTC) expire at the end of
  the same month `expiry_years` later (default 1): earned on 2026-01-15, valid until
  2027-01-31T23:59:59.999Z and gone at 2027-02-01T00:00Z (`expires_at`, exclusive).
- **Consumption.** Redemptions and take-backs consume lots oldest first (the soonest
  expiry; ties by when earned). What a take-back finds no lot for is a debt: the balance
  goes negative, and later earnings pay the debt first. A debt never expires.
- **Redemption.** `redemption.points` points buy `redemption.value` minor units (100 = a
  1-yuan voucher); a redemption is a positive multiple of `redemption.points`, and is
  refused beyond the balance at its moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.domain.members import MemberId
from app.domain.units import EPOCH, MAX_EPOCH_MS, MILLISECOND, MINOR_UNITS, EpochMs, integer_of

if TYPE_CHECKING:  # plans.py holds a PointsRules: a run-time import would be a cycle
    from app.domain.plans import Plan

MAX_POINTS = 10**12
# The expiry of points that never expire: past any time the service accepts.
NEVER = MAX_EPOCH_MS + 1
POINTS_UNITS = integer_of("a number of points", "points are whole numbers, e.g. 100")
Points = Annotated[int, Field(strict=True, gt=0, le=MAX_POINTS), POINTS_UNITS]
Money = Annotated[int, Field(strict=True, gt=0, le=10**15), MINOR_UNITS]
ACTION_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
ActionName = Annotated[
    str,
    StringConstraints(pattern=ACTION_PATTERN),
    Field(
        description="A profile action: lower-case letters, digits and _", examples=["bind_phone"]
    ),
]
PointsKind = Literal["earn", "take_back", "grant", "redemption"]
Label = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PointsEarn(_Section):
    """`points` for every `per` minor units an order spends."""

    points: Points
    per: Money

    def points_for(self, amount: int) -> int:
        return amount * self.points // self.per


class PointsRedemption(_Section):
    """`points` points buy `value` minor units of the plan's currency."""

    points: Points
    value: Money


class PointsRules(_Section):
    """The plan's `points` section (README, "Points")."""

    earn: PointsEarn | None = None
    grants: dict[ActionName, Points] = Field(
        default_factory=dict,
        max_length=50,
        # Pydantic says the key pattern as patternProperties only, which lets any other key
        # through in the schema's eyes: the document names what validation refuses.
        json_schema_extra={
            "additionalProperties": False,
            "propertyNames": {"pattern": ACTION_PATTERN, "examples": ["bind_phone"]},
        },
    )
    redemption: PointsRedemption | None = None
    expiry_years: int = Field(default=1, strict=True, ge=1, le=10)


def month_start(at: int) -> int:
    moment = EPOCH + at * MILLISECOND
    return _epoch_ms(datetime(moment.year, moment.month, 1, tzinfo=UTC))


def expires_at(earned_at: int, years: int) -> int:
    """The first moment points earned at `earned_at` are gone: the start of the month after
    the same month `years` later (the lot is valid while t < expires_at)."""
    moment = EPOCH + earned_at * MILLISECOND
    year, month = moment.year + years, moment.month + 1
    if month == 13:
        year, month = year + 1, 1
    if year > 9999:  # beyond any time the service accepts: never
        return NEVER
    return _epoch_ms(datetime(year, month, 1, tzinfo=UTC))


def _epoch_ms(moment: datetime) -> int:
    return (moment - EPOCH) // MILLISECOND


class PointsEntry(BaseModel):
    """An immutable points line: `points` is positive for an earn or a grant, negative for a
    take-back or a redemption. Positive entries carry their `expires_at`."""

    id: str
    member_id: str
    kind: PointsKind
    points: int
    event_at: int
    created_at: int
    expires_at: int | None = None
    plan_version: str
    order_id: str | None = None
    refund_id: str | None = None
    action: str | None = None
    # The client's id of a grant or a redemption (a retry sends it again).
    request_id: str | None = None
    redemption_for: str | None = None
    value: int | None = Field(default=None, description="What a redemption bought, minor units")
    currency: str | None = None
    seq: int | None = Field(default=None, description="A redemption's place among hers (1, 2, …)")

    def derivation(self) -> tuple[object, ...]:
        """What re-deriving must reproduce exactly (the write time is a fact apart)."""
        return (
            self.member_id,
            self.kind,
            self.points,
            self.event_at,
            self.expires_at,
            self.plan_version,
            self.order_id,
            self.refund_id,
            self.action,
            self.value,
            self.currency,
        )


def earn_id(order_id: str) -> str:
    return f"po:{order_id}"


def take_back_id(refund_id: str) -> str:
    return f"pr:{refund_id}"


def grant_id(member_id: str, action: str) -> str:
    # Once per member and action: the id makes a second grant impossible.
    return f"pg:{member_id}:{action}"


def redemption_id(member_id: str, request_id: str) -> str:
    return f"px:{member_id}:{request_id}"


def points_earned(rules: PointsRules | None, amount: int) -> int:
    return rules.earn.points_for(amount) if rules is not None and rules.earn is not None else 0


class OrderFacts(Protocol):
    """What earning reads of an order (`OrderCreate`, `Order`, `StoredOrder` all have it)."""

    id: str
    buyer_id: str
    amount: int
    placed_at: int


class RefundFacts(Protocol):
    id: str
    amount: int
    refunded_at: int


def earn_entry(order: OrderFacts, plan: Plan, now: int) -> PointsEntry | None:
    """What an order earns its buyer under `plan`, the plan in force at its `placed_at`
    (None: nothing)."""
    rules = plan.points
    points = points_earned(rules, order.amount)
    if rules is None or points <= 0:
        return None
    return PointsEntry(
        id=earn_id(order.id),
        member_id=order.buyer_id,
        kind="earn",
        points=points,
        event_at=order.placed_at,
        created_at=now,
        expires_at=expires_at(order.placed_at, rules.expiry_years),
        plan_version=plan.version,
        order_id=order.id,
    )


def taken_back(earned: int, amount: int, refunded: int) -> int:
    """How much of an order's `earned` points refunds totalling `refunded` take back."""
    return earned * refunded // amount


def take_back_entry(
    order: OrderFacts, refunded_before: int, refund: RefundFacts, plan: Plan, now: int
) -> PointsEntry | None:
    """The step `refund` adds to the order's taken-back total, under `plan`, the plan the
    order was priced with (None: nothing to take)."""
    earned = points_earned(plan.points, order.amount)
    points = taken_back(earned, order.amount, refunded_before + refund.amount) - taken_back(
        earned, order.amount, refunded_before
    )
    if points <= 0:
        return None
    return PointsEntry(
        id=take_back_id(refund.id),
        member_id=order.buyer_id,
        kind="take_back",
        points=-points,
        event_at=refund.refunded_at,
        created_at=now,
        plan_version=plan.version,
        order_id=order.id,
        refund_id=refund.id,
    )


def grant_entry(
    *,
    member_id: str,
    action: str,
    request_id: str,
    at: int,
    plan_version: str,
    rules: PointsRules,
    now: int,
) -> PointsEntry | None:
    """The grant for `action` (None: the plan grants nothing for it)."""
    points = rules.grants.get(action)
    if points is None:
        return None
    return PointsEntry(
        id=grant_id(member_id, action),
        member_id=member_id,
        kind="grant",
        points=points,
        event_at=at,
        created_at=now,
        expires_at=expires_at(at, rules.expiry_years),
        plan_version=plan_version,
        action=action,
        request_id=request_id,
    )


def redemption_value(rules: PointsRules, points: int) -> int | None:
    """What `points` buy (None: the plan redeems nothing, or not that many: a redemption is
    a whole number of the plan's steps)."""
    rate = rules.redemption
    if rate is None or points % rate.points:
        return None
    return points // rate.points * rate.value


class PointsLot(BaseModel):
    """Points still held from one month's earnings and grants."""

    earned_in: int = Field(description="The month they were earned in (its first moment)")
    expires_at: int = Field(description="Gone from this moment on (the end of the month)")
    points: int


class Expiring(BaseModel):
    expires_at: int
    points: int


class PointsState(BaseModel):
    """A member's points at a moment, folded from her entries."""

    balance: int = Field(description="Lots less debt; negative after a take-back with no lot")
    lots: list[PointsLot] = Field(description="What she holds, oldest (soonest expiring) first")
    debt: int = Field(description="Points taken back that no lot covered; paid by earnings")
    earned: int = Field(description="Earned by orders, in all")
    granted: int = Field(description="Granted for profile actions, in all")
    redeemed: int
    taken_back: int
    expired: int

    def expiring_by(self, until: int) -> list[Expiring]:
        """Lots that expire at or before `until` (the lots held are not yet expired)."""
        return [
            Expiring(expires_at=lot.expires_at, points=lot.points)
            for lot in self.lots
            if lot.expires_at <= until
        ]


def _order_key(entry: PointsEntry) -> tuple[int, int, str]:
    return (entry.event_at, entry.created_at, entry.id)


def points_state(entries: Iterable[PointsEntry], at: int) -> PointsState:
    """Her points at `at`: the entries whose event time is at or before it, in event order
    (ties by write time, then id), each event preceded by the expiry of every lot whose
    `expires_at` has come."""
    # (expires_at, earned_in) -> points held: consumed in key order, the soonest expiry
    # first (plan versions may differ in expiry_years, so event order is not expiry order).
    lots: dict[tuple[int, int], int] = {}
    debt = expired = 0
    totals = {"earn": 0, "grant": 0, "redemption": 0, "take_back": 0}

    def expire_until(moment: int) -> None:
        nonlocal expired
        for key in [key for key in lots if key[0] <= moment]:
            expired += lots.pop(key)

    for entry in sorted((e for e in entries if e.event_at <= at), key=_order_key):
        expire_until(entry.event_at)
        totals[entry.kind] += abs(entry.points)
        if entry.points > 0:
            paid = min(debt, entry.points)
            debt -= paid
            if entry.points > paid:
                expiry = entry.expires_at if entry.expires_at is not None else NEVER
                key = (expiry, month_start(entry.event_at))
                lots[key] = lots.get(key, 0) + entry.points - paid
        else:
            need = -entry.points
            for key in sorted(lots):
                used = min(need, lots[key])
                lots[key] -= used
                need -= used
                if lots[key] == 0:
                    del lots[key]
                if not need:
                    break
            debt += need
    expire_until(at)
    held = [
        PointsLot(earned_in=earned_in, expires_at=expiry, points=points)
        for (expiry, earned_in), points in sorted(lots.items())
    ]
    return PointsState(
        balance=sum(lot.points for lot in held) - debt,
        lots=held,
        debt=debt,
        earned=totals["earn"],
        granted=totals["grant"],
        redeemed=totals["redemption"],
        taken_back=totals["take_back"],
        expired=expired,
    )


def overdrawn(entries: list[PointsEntry]) -> list[tuple[PointsEntry, int]]:
    """Each redemption that took more than her balance at its moment, with that balance:
    folded from her earns and grants and the redemptions before it (by `seq`). Take-backs
    are left out: one may land at any time and push a balance below zero by rule, and
    leaving it out can only raise the balance (an audit that never cries wolf; one that
    misses a redemption overdrawn only through a take-back). Write times are not used: the
    clocks of several service processes need not agree."""
    found = []
    gains = [e for e in entries if e.kind in ("earn", "grant")]
    redemptions = sorted(
        (e for e in entries if e.kind == "redemption"), key=lambda e: (e.seq or 0, e.id)
    )
    for index, redemption in enumerate(redemptions):
        balance = points_state(gains + redemptions[:index], redemption.event_at).balance
        if balance < -redemption.points:
            found.append((redemption, balance))
    return found


# --- requests and answers ------------------------------------------------------------------


class GrantCreate(BaseModel):
    """`POST /v1/members/{id}/points/grants`: once per member and action."""

    model_config = ConfigDict(extra="forbid")

    action: ActionName
    id: MemberId = Field(description="The storefront's id for this grant: sent again, a retry")
    at: EpochMs | None = Field(default=None, description="When she did it (default now)")


class RedemptionCreate(BaseModel):
    """`POST /v1/members/{id}/points/redemptions`."""

    model_config = ConfigDict(extra="forbid")

    id: MemberId = Field(description="The storefront's id for it: sent again, a retry")
    points: Points
    for_: Label = Field(alias="for", description="What it buys, as the storefront names it")


class PointsBalance(BaseModel):
    member_id: str
    at: int = Field(description="The moment it is answered for (epoch ms)")
    balance: int
    lots: list[PointsLot]
    debt: int
    earned: int
    granted: int
    redeemed: int
    taken_back: int
    expired: int
    expiring_until: int = Field(description="Expiring soon means by this moment (exclusive end)")
    expiring: list[Expiring] = Field(description="Lots that expire by expiring_until")
    expiring_points: int


class PointsHistory(BaseModel):
    member_id: str
    items: list[PointsEntry] = Field(description="Her entries by event time, then id")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )
