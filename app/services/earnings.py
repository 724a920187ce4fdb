"""A member's earnings: her ledger entries netted by kind, status and calendar month, per
currency. The engine nets them per day; the months are folded here, so the answer costs a few
rows a day however many entries she has."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from app.core.errors import InvalidInput, NotFound
from app.domain.ledger import TimeBasis
from app.domain.units import iso_moment
from app.store.port import GraphStore

# Wide enough for any EpochMs (year 9999) and within both engines' 64-bit integers.
NO_UPPER_BOUND = 2**62


class CurrencyEarnings(BaseModel):
    """Her net earnings in one currency. Every figure is integer minor units (fen, cents) and
    nets the reversals of refunded orders in, so each breakdown adds up to `total`."""

    currency: str = Field(description="ISO 4217 code of the amounts below")
    total: int = Field(description="Net amount of every entry in the window")
    entries: int = Field(description="Entries counted, reversals included")
    by_kind: dict[str, int] = Field(
        description="Net amount per rule kind (referral_bonus, self_rebate, sales_commission, "
        "distribution, training_allowance); kinds without entries are left out"
    )
    by_status: dict[str, int] = Field(
        description="Net amount per status: `pending` (still held) or `available` (released)"
    )
    by_period: dict[str, int] = Field(
        description="Net amount per calendar month (UTC) of the entries' time (`by`: event_at "
        "by default), as `YYYY-MM`, oldest first; months without entries are left out"
    )


class Earnings(BaseModel):
    member_id: str = Field(description="The beneficiary whose entries are counted")
    from_: int | None = Field(
        serialization_alias="from",
        description="The window's start (epoch ms, inclusive) on `by`; null: from the start",
    )
    to: int | None = Field(
        description="The window's end (epoch ms, exclusive) on `by`; null: no end"
    )
    by: TimeBasis = Field(
        description="The time windows and months go by: `event_at` (when the order was placed, "
        "the refund made, the member paid) or `created_at` (when the entry was written)"
    )
    currencies: list[CurrencyEarnings] = Field(
        description="One block per currency she was paid in, by currency code; empty when she "
        "has no entries in the window"
    )


def month_of(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%Y-%m")


def member_window(
    store: GraphStore, member_id: str, from_: int | None, to: int | None
) -> tuple[int, int]:
    """[from_, to) with open ends filled in; 422 when it is empty, 404 for an unknown
    member."""
    start = from_ if from_ is not None else 0
    end = to if to is not None else NO_UPPER_BOUND
    if end <= start:
        raise InvalidInput(
            f"to ({iso_moment(end)}) must be after from ({iso_moment(start)})", field="to"
        )
    if not store.get_members([member_id]):
        raise NotFound(f"member {member_id} does not exist", member_id=member_id)
    return start, end


def get_earnings(
    *,
    store: GraphStore,
    member_id: str,
    from_: int | None = None,
    to: int | None = None,
    by: TimeBasis = "event_at",
) -> Earnings:
    start, end = member_window(store, member_id, from_, to)
    rows = store.earnings_by_day(member_id, start, end, by)
    blocks: dict[str, CurrencyEarnings] = {}
    for row in sorted(rows, key=lambda r: (r.currency, r.day, r.kind, r.status)):
        block = blocks.setdefault(
            row.currency,
            CurrencyEarnings(
                currency=row.currency, total=0, entries=0, by_kind={}, by_status={}, by_period={}
            ),
        )
        block.total += row.amount
        block.entries += row.entries
        _add(block.by_kind, row.kind, row.amount)
        _add(block.by_status, row.status, row.amount)
        _add(block.by_period, month_of(row.day), row.amount)
    for block in blocks.values():
        block.by_kind = dict(sorted(block.by_kind.items()))
        block.by_status = dict(sorted(block.by_status.items()))
    return Earnings(
        member_id=member_id, from_=from_, to=to, by=by, currencies=list(blocks.values())
    )


def _add(totals: dict[str, int], key: str, amount: int) -> None:
    totals[key] = totals.get(key, 0) + amount
