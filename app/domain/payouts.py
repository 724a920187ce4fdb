"""Money out: payout batches, their items and the balances they move. Pure rules, no I/O.

A member's ledger entries (app/domain/ledger.py) are what she is owed. A batch takes, per
member, every released entry nobody has claimed yet (reversals included: a clawback nets
in) as one item when they add up to the batch's minimum; the item claims those entries
until it is paid (then a negative `payout` line enters the ledger) or fails (then they are
free again). So at every moment, in each currency:

    pending + available + in_payout + paid = the sum of her entries
    paid = minus the sum of her payout lines

where `pending` is held entries, `available` released entries no live item claims (negative
after a refund of paid money), `in_payout` the items not yet paid or failed, and `paid` the
paid items. `refgraph audit` checks both, and that no entry is claimed by two live items.
"""

from __future__ import annotations

from typing import Annotated, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.domain.ledger import Amount, ExternalId
from app.domain.lifecycle import Reason
from app.domain.plans import PayoutRules
from app.domain.text import VALID_UNICODE
from app.domain.units import Currency, EpochMs

PayoutStatus = Literal["draft", "approved", "exported", "settled"]
ItemStatus = Literal["open", "paid", "failed"]
# Where a batch may go, and by which action.
BATCH_MOVES: dict[str, tuple[PayoutStatus, PayoutStatus]] = {
    "approve": ("draft", "approved"),
    "export": ("approved", "exported"),
}
# A bank's or wallet's transfer reference: printable, one line.
PaymentReference = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$"),
    VALID_UNICODE,
]


def item_id(payout_id: str, member_id: str) -> str:
    # Ids hold no '/', so the pair reads back unambiguously.
    return f"{payout_id}/{member_id}"


def payout_line_id(payout_id: str, member_id: str) -> str:
    return f"x:{item_id(payout_id, member_id)}"


class PayoutCreate(BaseModel):
    """`POST /v1/payouts`: pay every member whose available balance in `currency` at `as_of`
    reaches `minimum`."""

    model_config = ConfigDict(extra="forbid")

    id: ExternalId = Field(description="The batch's id: sending it again is a retry")
    as_of: EpochMs | None = Field(
        default=None,
        description="Entries released at or before this moment are paid (default: now; a "
        "retry without it matches the batch whatever its as_of)",
    )
    currency: Currency
    minimum: Amount = Field(description="The least available balance worth a transfer")


class ItemPaid(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: PaymentReference = Field(description="The transfer's reference at the bank")
    paid_at: EpochMs | None = Field(
        default=None, description="When the money left (default: now); its ledger line's time"
    )


class ItemFailed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(description="Why the transfer failed, as the bank said")


class PayoutItem(BaseModel):
    member_id: str
    amount: int = Field(description="The sum of `entry_ids`' amounts, minor units")
    currency: str
    entry_ids: list[str] = Field(description="The exact entries this transfer pays")
    status: ItemStatus = Field(
        description="open (in the batch), paid (its payout line is in the ledger) or failed "
        "(its entries are available again)"
    )
    reference: str | None = None
    reason: str | None = None
    settled_at: int | None = Field(default=None, description="When it was paid or failed")


class PayoutSkip(BaseModel):
    """A member the batch would have paid, left out, and why."""

    member_id: str
    available: int
    reason: str


class PayoutEvent(BaseModel):
    """One transition, as it was made (append-only): the batch's or one item's."""

    at: int
    action: Literal["create", "approve", "export", "paid", "failed"]
    member_id: str | None = None
    actor_role: str
    actor_key_id: str


class Payout(BaseModel):
    id: str
    status: PayoutStatus = Field(
        description="draft → approved → exported (first export) → settled (every item paid "
        "or failed)"
    )
    as_of: int
    currency: str
    minimum: int
    created_at: int
    total: int = Field(description="The sum of the items' amounts")
    items: list[PayoutItem]
    skipped: list[PayoutSkip]
    events: list[PayoutEvent]


class Candidate(NamedTuple):
    """A member with released, unclaimed entries in the batch's currency at its as_of."""

    member_id: str
    status: str
    erased: bool
    hold_reason: str | None
    entries: list[tuple[str, int]]  # (entry id, amount)


def batch_items(
    candidates: list[Candidate], create: PayoutCreate, rules: PayoutRules
) -> tuple[list[PayoutItem], list[PayoutSkip]]:
    """One item per member whose entries reach the minimum and whom the plan lets be paid;
    the others who would have been paid, and the members owing money (a clawback to net
    first), are named with the reason."""
    items: list[PayoutItem] = []
    skipped: list[PayoutSkip] = []
    for candidate in sorted(candidates, key=lambda c: c.member_id):
        available = sum(amount for _, amount in candidate.entries)
        if 0 <= available < create.minimum:
            continue
        reason = (
            "owes a clawback: netted from her next earnings"
            if available < 0
            else _skip_reason(candidate, rules)
        )
        if reason is not None:
            skipped.append(
                PayoutSkip(member_id=candidate.member_id, available=available, reason=reason)
            )
            continue
        items.append(
            PayoutItem(
                member_id=candidate.member_id,
                amount=available,
                currency=create.currency,
                entry_ids=sorted(entry for entry, _ in candidate.entries),
                status="open",
            )
        )
    return items, skipped


def _skip_reason(candidate: Candidate, rules: PayoutRules) -> str | None:
    if candidate.hold_reason is not None:
        return f"on hold: {candidate.hold_reason}"
    if candidate.erased and rules.erased == "skip":
        return "erased: the plan pays no erased member"
    if candidate.status == "inactive" and rules.inactive == "skip":
        return "inactive: the plan pays no inactive member"
    if candidate.status == "terminated" and rules.terminated == "skip":
        return "terminated: the plan pays no terminated member"
    return None


class StoredPayoutItem(NamedTuple):
    id: str
    payout_id: str
    member_id: str
    amount: int
    currency: str
    entry_ids: list[str]
    status: str


class ClaimedEntry(NamedTuple):
    """A ledger entry a payout item claims."""

    id: str
    payout_item: str
    member_id: str
    amount: int
    currency: str
    status: str


class PayoutLineRow(NamedTuple):
    """A payout line in the ledger (negative, kind payout)."""

    id: str
    payout_item: str
    member_id: str
    amount: int
    currency: str


def payout_differences(
    items: list[StoredPayoutItem], claims: list[ClaimedEntry], lines: list[PayoutLineRow]
) -> list[tuple[str, str]]:
    """(what, why) for every way the payouts and the ledger disagree: an item that is not
    the sum of the entries it names, an entry claimed by two live items or by an item that
    does not name it, a paid item without exactly one payout line of its amount."""
    found: list[tuple[str, str]] = []
    claim_of = {claim.id: claim for claim in claims}
    live_items = {item.id: item for item in items if item.status != "failed"}
    named_by: dict[str, list[str]] = {}
    for item in live_items.values():
        for entry in item.entry_ids:
            named_by.setdefault(entry, []).append(item.id)
        claimed = [claim_of.get(entry) for entry in item.entry_ids]
        wrong = [
            e
            for e, c in zip(item.entry_ids, claimed, strict=True)
            if c is None or c.payout_item != item.id
        ]
        if wrong:
            found.append((item.id, f"entries {', '.join(wrong[:5])} are not claimed by it"))
        total = sum(c.amount for c in claimed if c is not None)
        if not wrong and total != item.amount:
            found.append((item.id, f"amount {item.amount}, but its entries add up to {total}"))
        others = [
            c.id
            for c in claimed
            if c is not None and (c.member_id, c.currency) != (item.member_id, item.currency)
        ]
        if others:
            found.append(
                (item.id, f"entries {', '.join(others[:5])} are another member's or currency's")
            )
    for entry, named in sorted(named_by.items()):
        if len(named) > 1:
            found.append((entry, f"paid twice: named by live items {', '.join(named)}"))
    for claim in claims:
        if claim.payout_item not in live_items:
            found.append((claim.id, f"claimed by {claim.payout_item}, which is no live item"))
        elif claim.status != "available":
            found.append((claim.id, f"claimed by {claim.payout_item} while {claim.status}"))
    lines_of: dict[str, list[PayoutLineRow]] = {}
    for line in lines:
        lines_of.setdefault(line.payout_item, []).append(line)
    for item in items:
        mine = lines_of.pop(item.id, [])
        want = [-item.amount] if item.status == "paid" else []
        if sorted(line.amount for line in mine) != want:
            found.append(
                (item.id, f"{item.status} with payout lines {[line.amount for line in mine]}")
            )
    for item_key, orphan in sorted(lines_of.items()):
        found.append((orphan[0].id, f"payout line of {item_key}, which does not exist"))
    return found


class CurrencyBalance(BaseModel):
    """Her money in one currency, integer minor units."""

    currency: str
    pending: int = Field(description="Held entries (their hold has not passed)")
    available: int = Field(
        description="Released entries no payout claims; negative when a refund took back "
        "money already paid (netted by the next batch)"
    )
    in_payout: int = Field(description="Items of batches not yet paid or failed")
    paid: int = Field(description="Items paid")


class Balance(BaseModel):
    member_id: str
    balances: list[CurrencyBalance] = Field(description="One per currency, by code")


class BalanceRow(NamedTuple):
    """Her entries netted per currency and where they stand (pending, available, in_payout,
    paid)."""

    currency: str
    bucket: str
    amount: int


def balances_of(member_id: str, rows: list[BalanceRow]) -> Balance:
    by_currency: dict[str, CurrencyBalance] = {}
    for row in rows:
        balance = by_currency.setdefault(
            row.currency,
            CurrencyBalance(currency=row.currency, pending=0, available=0, in_payout=0, paid=0),
        )
        setattr(balance, row.bucket, getattr(balance, row.bucket) + row.amount)
    return Balance(member_id=member_id, balances=[by_currency[c] for c in sorted(by_currency)])
