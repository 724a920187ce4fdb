"""Orders, refunds and the ledger entries a plan grants for them. Pure rules: the service
writes what these functions return, and `refgraph audit` replays the same functions over
the stored orders to re-derive the ledger, so the two cannot drift apart."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain.members import MemberId
from app.domain.plans import (
    DAY_MS,
    FULL_RATE_BP,
    HARD_MAX_LEVELS,
    BonusOnPartialRefund,
    Distribution,
    Plan,
    ReferralBonus,
    RuleKind,
    SalesCommission,
    SelfRebate,
    TrainingAllowance,
)
from app.domain.referral_codes import ReferralCode
from app.domain.tiers import TierLadder
from app.domain.units import MINOR_UNITS, Currency, EpochMs

# Order and refund ids travel in URL paths, as member ids do.
ExternalId = MemberId
Amount = Annotated[int, Field(strict=True, gt=0, le=10**15), MINOR_UNITS]
EntryStatus = Literal["pending", "available"]


# Which of an entry's times a window and an order of entries go by: when what it pays for
# happened (the default: histories arrive late) or when it was written.
TimeBasis = Literal["event_at", "created_at"]


class TimeWindow(BaseModel):
    """Entries whose `by` time is in [from_, to)."""

    from_: int = Field(default=0, serialization_alias="from", description="epoch ms, inclusive")
    to: int = Field(default=2**62, description="epoch ms, exclusive")
    by: TimeBasis = Field(
        default="event_at",
        description="event_at: when what an entry pays for happened; created_at: when written",
    )


class LedgerFilter(BaseModel):
    """The audit listing's filters; times bound entries' `by` time, `to` exclusive."""

    beneficiary_id: str | None = None
    kind: str | None = None
    status: str | None = None
    order_id: str | None = None
    from_: int = 0
    to: int = 2**62
    by: TimeBasis = "event_at"


class OrderCreate(BaseModel):
    """An order as the storefront posts it."""

    model_config = ConfigDict(extra="forbid")

    id: ExternalId
    buyer_id: MemberId
    amount: Amount
    currency: Currency
    placed_at: EpochMs
    shared_by: MemberId | None = None
    shared_by_code: ReferralCode | None = Field(
        default=None,
        description="The sharer's referral code (from the share link), instead of shared_by",
        exclude=True,
    )

    @property
    def source_id(self) -> str:
        """Whose network the sale came through: the sharer of a shared order, else the buyer."""
        return self.shared_by if self.shared_by is not None else self.buyer_id


class Order(OrderCreate):
    """An order as stored: `seq` orders it among its buyer's orders and refunds."""

    model_config = ConfigDict(extra="ignore")

    plan_version: str | None = None
    seq: int
    created_at: int


class RefundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ExternalId
    amount: Amount
    refunded_at: EpochMs


class Refund(RefundCreate):
    model_config = ConfigDict(extra="ignore")

    order_id: str
    seq: int
    created_at: int


class PathStep(BaseModel):
    member_id: str
    hop: int


class LedgerEntry(BaseModel):
    """An immutable ledger line. `path` runs from the member whose action the rule pays for
    (hop 0: the order's source, or the buyer for her rebate and her inviter's bonus) up the
    invitation edges to the beneficiary."""

    id: str
    kind: RuleKind
    beneficiary_id: str
    amount: int
    currency: str
    status: EntryStatus
    # None for a referral bonus paid when the invitee became a paid member (no order).
    order_id: str | None = None
    buyer_id: str
    source_id: str
    refund_id: str | None = None
    reverses: str | None = None
    plan_version: str
    rule: int
    tier_at_event: str
    # The version of the beneficiary's tier history that priced it (None: written before
    # versions were kept), so an audit replays the history as it stood then.
    tier_seq: int | None = None
    path: list[PathStep]
    # When it happened (the order's placed_at, the refund's refunded_at, the paid mark's
    # paid_at) apart from when it was written: reports and periods go by event time.
    event_at: int
    created_at: int
    available_from: int
    released_at: int | None = None

    def derivation(self) -> tuple[object, ...]:
        """What re-deriving the ledger must reproduce exactly (status and the write and
        release times are facts of when it was written, checked apart)."""
        return (
            self.kind,
            self.beneficiary_id,
            self.amount,
            self.currency,
            self.order_id,
            self.refund_id,
            self.reverses,
            self.plan_version,
            self.rule,
            self.tier_at_event,
            tuple((step.member_id, step.hop) for step in self.path),
            self.event_at,
            self.available_from,
        )


class OrderContext(BaseModel):
    """What the graph says about an order at its `placed_at`."""

    chain: list[str]  # the source at hop 0, then up to HARD_MAX_LEVELS ancestors
    buyer_inviter_id: str | None
    tiers: dict[str, str]  # honour tier at placed_at of every member above
    # The version (TierChange seq) of each one's tier history the tiers were read from.
    tier_seqs: dict[str, int] = Field(default_factory=dict)
    first_purchase: bool  # the buyer has no live purchase yet: this order is her first
    # Members of the chain (and the buyer's inviter) not active at placed_at.
    inactive: frozenset[str] = frozenset()


def entry_id(order_id: str, rule: int, hop: int) -> str:
    # Order ids have no '/'; the two integer suffixes make the id unique read from the right.
    return f"o:{order_id}:{rule}:{hop}"


def paid_bonus_id(invitee_id: str) -> str:
    # Once per invitee, whatever plan version: the id makes a second grant impossible.
    return f"p:{invitee_id}"


def paid_bonus_reversal(original: LedgerEntry, undone_at: int, now: int) -> LedgerEntry:
    """The reversal of a paid-trigger bonus whose paid mark was undone at `undone_at`: all of
    it, with its original's status (the write statement takes it as it stands then)."""
    return original.model_copy(
        update={
            "id": f"u:{original.buyer_id}",
            "amount": -original.amount,
            "reverses": original.id,
            "event_at": undone_at,
            "created_at": now,
            "released_at": now if original.status == "available" else None,
        }
    )


def reversal_id(refund_id: str, original: LedgerEntry) -> str:
    return f"r:{refund_id}:{original.rule}:{original.path[-1].hop}"


def _share(amount: int, rate_bp: int) -> int:
    return amount * rate_bp // FULL_RATE_BP


def _tier_rank(ladder: TierLadder, tier: str) -> int:
    names = [step.tier for step in ladder.steps]
    return names.index(tier) if tier in names else -1


def entries_for_order(
    order: OrderCreate,
    plan: Plan,
    context: OrderContext,
    ladder: TierLadder,
    now: int,
) -> list[LedgerEntry]:
    """The entries `plan` grants for `order`: one per rule and beneficiary, amounts floored
    to the minor unit; none worth 0."""
    buyer, chain, inactive = order.buyer_id, context.chain, context.inactive
    # The members upline rewards may reach, by hop: every one, or with `compress` only the
    # active ones (the next active member up takes an inactive one's place, never past the
    # chain's cap); an inactive beneficiary is then dropped below either way.
    upline = list(range(1, len(chain)))
    if plan.inactive_members == "compress":
        upline = [hop for hop in upline if chain[hop] not in inactive]
    grants: list[tuple[int, RuleKind, int, list[str], int]] = []  # rule, kind, bp, path, fixed
    for index, rule in enumerate(plan.rules):
        if isinstance(rule, ReferralBonus):
            inviter = context.buyer_inviter_id
            if rule.trigger == "first_purchase" and context.first_purchase and inviter:
                grants.append((index, rule.kind, 0, [buyer, inviter], rule.amount))
        elif isinstance(rule, SelfRebate):
            grants.append((index, rule.kind, rule.rate_for(context.tiers[buyer]), [buyer], 0))
        elif isinstance(rule, SalesCommission):
            if order.shared_by is not None and order.shared_by != buyer:
                sharer = order.shared_by
                grants.append((index, rule.kind, rule.rate_for(context.tiers[sharer]), [sharer], 0))
        elif isinstance(rule, Distribution):
            # The cap counts the sharer as a level when the plan says she is one.
            cap = HARD_MAX_LEVELS - (
                1 if plan.promoter_counts_as_level and plan.rule_of("sales_commission") else 0
            )
            levels = min(len(rule.level_rates_bp), plan.max_levels, cap)
            for level, hop in enumerate(upline[:levels]):
                if hop > cap:
                    break
                path = chain[: hop + 1]
                rate = rule.rate_for(level, context.tiers[path[-1]])
                grants.append((index, rule.kind, rate, path, 0))
        elif isinstance(rule, TrainingAllowance) and upline:
            hop = upline[0]
            trainer = chain[hop]
            tier = context.tiers[trainer]
            if _tier_rank(ladder, tier) >= _tier_rank(ladder, rule.tier) >= 0:
                grants.append((index, rule.kind, rule.rate_for(tier), chain[: hop + 1], 0))
    grants = [grant for grant in grants if grant[3][-1] not in inactive]
    entries = []
    for index, kind, rate, path, fixed in grants:
        amount = fixed if fixed else _share(order.amount, rate)
        if amount <= 0:
            continue
        available_from = order.placed_at + plan.rules[index].hold_days * DAY_MS
        available = now >= available_from
        entries.append(
            LedgerEntry(
                id=entry_id(order.id, index, len(path) - 1),
                kind=kind,
                beneficiary_id=path[-1],
                amount=amount,
                currency=plan.currency,
                status="available" if available else "pending",
                order_id=order.id,
                buyer_id=buyer,
                source_id=order.source_id,
                plan_version=plan.version,
                rule=index,
                tier_at_event=context.tiers[path[-1]],
                tier_seq=context.tier_seqs.get(path[-1]),
                path=[PathStep(member_id=member, hop=hop) for hop, member in enumerate(path)],
                event_at=order.placed_at,
                created_at=now,
                available_from=available_from,
                released_at=now if available else None,
            )
        )
    return entries


def paid_bonus_entry(
    *,
    invitee_id: str,
    inviter_id: str,
    paid_at: int,
    plan: Plan,
    inviter_tier: str,
    inviter_tier_seq: int | None,
    now: int,
) -> LedgerEntry | None:
    """The referral bonus a plan with a `paid` trigger grants the inviter when her invitee
    becomes a paid member (path: the invitee at hop 0, the inviter at hop 1)."""
    found = plan.rule_of("referral_bonus")
    if found is None:
        return None
    index, rule = found
    if not isinstance(rule, ReferralBonus) or rule.trigger != "paid" or rule.amount <= 0:
        return None
    available_from = paid_at + rule.hold_days * DAY_MS
    available = now >= available_from
    return LedgerEntry(
        id=paid_bonus_id(invitee_id),
        kind=rule.kind,
        beneficiary_id=inviter_id,
        amount=rule.amount,
        currency=plan.currency,
        status="available" if available else "pending",
        order_id=None,
        buyer_id=invitee_id,
        source_id=invitee_id,
        plan_version=plan.version,
        rule=index,
        tier_at_event=inviter_tier,
        tier_seq=inviter_tier_seq,
        path=[PathStep(member_id=invitee_id, hop=0), PathStep(member_id=inviter_id, hop=1)],
        event_at=paid_at,
        created_at=now,
        available_from=available_from,
        released_at=now if available else None,
    )


def reversals_for_refund(
    *,
    order_amount: int,
    refunded_before: int,
    refund: RefundCreate,
    originals: list[LedgerEntry],
    reversed_so_far: dict[str, int],
    now: int,
    bonus_on_partial_refund: BonusOnPartialRefund = "prorate",
) -> list[LedgerEntry]:
    """One reversal per original entry: floor(e * r / A) of it, except on the refund that
    brings the order's refunded total to A, which reverses exactly what is left, so a fully
    refunded order nets to 0 per entry. A referral bonus follows the plan's
    `bonus_on_partial_refund` before that: its share (`prorate`), nothing (`keep`), or all
    that is left (`reverse`; a later partial refund then has nothing of it to take).
    `reversed_so_far`: original id → amount reversed. A reversal shares its original's
    status: money already released is clawed back from the released balance, money still
    held stays held with the entry it cancels. The write statement takes that status from
    the original as it stands then (the releaser may have released it since `originals`
    was read)."""
    if refunded_before + refund.amount > order_amount:
        raise ValueError(
            f"a refund of {refund.amount} is more than the {order_amount - refunded_before} left"
        )
    final = refunded_before + refund.amount == order_amount
    reversals = []
    for original in originals:
        left = original.amount - reversed_so_far.get(original.id, 0)
        amount = left if final else original.amount * refund.amount // order_amount
        if original.kind == "referral_bonus" and bonus_on_partial_refund != "prorate":
            amount = left if final or bonus_on_partial_refund == "reverse" else 0
            if amount == 0:
                continue  # kept, or reversed whole already
        reversals.append(
            original.model_copy(
                update={
                    "id": reversal_id(refund.id, original),
                    "amount": -amount,
                    "refund_id": refund.id,
                    "reverses": original.id,
                    "status": original.status,
                    "event_at": refund.refunded_at,
                    "created_at": now,
                    "released_at": now if original.status == "available" else None,
                }
            )
        )
    return reversals


def reversed_amounts(entries: list[LedgerEntry]) -> dict[str, int]:
    """Original entry id → how much of it the reversals among `entries` took back."""
    taken: dict[str, int] = {}
    for entry in entries:
        if entry.reverses is not None:
            taken[entry.reverses] = taken.get(entry.reverses, 0) - entry.amount
    return taken


def plan_of_version(plans: list[Plan], version: str | None) -> Plan | None:
    """The plan version an order was priced under (None: none)."""
    return next((plan for plan in plans if plan.version == version), None)


def bonus_rule_of(plans: list[Plan], version: str | None) -> BonusOnPartialRefund:
    """The `bonus_on_partial_refund` of the plan version an order was priced under."""
    plan = plan_of_version(plans, version)
    return "prorate" if plan is None else plan.bonus_on_partial_refund


def plan_in_force(plans: list[Plan], at: int) -> Plan | None:
    """The version whose `effective_from` is the latest at or before `at`."""
    candidates = [plan for plan in plans if plan.effective_from <= at]
    return max(candidates, key=lambda plan: plan.effective_from, default=None)


class FirstPurchase(BaseModel):
    """Which of a buyer's orders is her first live purchase (None: she has none). An order
    becomes it when there is none; a refund that empties it clears it."""

    order_id: str | None = None

    def after_order(self, order_id: str) -> FirstPurchase:
        return self if self.order_id is not None else FirstPurchase(order_id=order_id)

    def after_refund(
        self, order_id: str, fully_refunded: bool, next_live: str | None
    ) -> FirstPurchase:
        """`next_live`: her earliest order still not fully refunded, which becomes her first
        purchase (and carries the bonus) when this one is refunded in full."""
        if fully_refunded and self.order_id == order_id:
            return FirstPurchase(order_id=next_live)
        return self


def moved_bonus(
    order: OrderCreate, plan: Plan, context: OrderContext, ladder: TierLadder, now: int
) -> list[LedgerEntry]:
    """The referral bonus `order` carries once it becomes the buyer's first live purchase
    (her earlier first purchase was refunded in full): what it would have been granted as
    her first purchase, written now."""
    as_first = context.model_copy(update={"first_purchase": True})
    granted = entries_for_order(order, plan, as_first, ladder, now)
    return [entry for entry in granted if entry.kind == "referral_bonus"]


def replay_buyer(
    events: list[Order | Refund],
    orders: dict[str, Order],
    plans: list[Plan],
    contexts: dict[str, OrderContext],
    ladder: TierLadder,
) -> list[LedgerEntry]:
    """The entries one buyer's orders and refunds should have written, replayed in the
    order they were written (`seq`) with the same rules the service applied. `contexts`
    holds the graph's answer for each order; whether an order was her first purchase comes
    from the replay itself."""
    first = FirstPurchase()
    placed: list[Order] = []  # her orders so far, in the order they were written
    written: dict[str, list[LedgerEntry]] = {}
    refunded: dict[str, int] = {}
    for event in sorted(events, key=lambda e: e.seq):
        if isinstance(event, Refund):
            order = orders[event.order_id]
            so_far = written.setdefault(order.id, [])
            before = refunded.get(order.id, 0)
            so_far.extend(
                reversals_for_refund(
                    order_amount=order.amount,
                    refunded_before=before,
                    refund=event,
                    originals=sorted((e for e in so_far if e.reverses is None), key=lambda e: e.id),
                    reversed_so_far=reversed_amounts(so_far),
                    now=event.created_at,
                    bonus_on_partial_refund=bonus_rule_of(plans, order.plan_version),
                )
            )
            refunded[order.id] = before + event.amount
            fully = refunded[order.id] == order.amount
            live = [o for o in placed if o.id != order.id and refunded.get(o.id, 0) < o.amount]
            next_live = live[0] if live else None
            if fully and first.order_id == order.id and next_live is not None:
                plan = plan_in_force(plans, next_live.placed_at)
                if plan is not None:
                    written[next_live.id] += moved_bonus(
                        next_live, plan, contexts[next_live.id], ladder, event.created_at
                    )
            first = first.after_refund(
                order.id, fully, next_live.id if next_live is not None else None
            )
        else:
            plan = plan_in_force(plans, event.placed_at)
            first_purchase = first.order_id is None
            context = contexts[event.id].model_copy(update={"first_purchase": first_purchase})
            written[event.id] = (
                entries_for_order(event, plan, context, ladder, event.created_at) if plan else []
            )
            first = first.after_order(event.id)
            placed.append(event)
    return [entry for entries in written.values() for entry in entries]
