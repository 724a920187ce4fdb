"""Payout batches: drafted from the members' available balances, approved, exported for the
bank, and each item paid or failed. Every step is safe to retry: the same request again
answers the batch as it stands."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.core.errors import Conflict, InvalidInput, NotFound
from app.domain.ledger import plan_in_force
from app.domain.lifecycle import Actor
from app.domain.payouts import (
    BATCH_MOVES,
    Balance,
    ItemFailed,
    ItemPaid,
    Payout,
    PayoutCreate,
    PayoutItem,
    balances_of,
    batch_items,
    item_id,
)
from app.domain.plans import PayoutRules
from app.domain.units import iso_moment
from app.services.cursors import decode_position, encode_position
from app.store.port import GraphStore

# A batch's entries were claimed by another batch between the read and the write: read
# again, a few times.
CREATE_ATTEMPTS = 5
MAX_PAGE = 200


class PayoutPage(BaseModel):
    items: list[Payout]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class ItemState(BaseModel):
    """One item after a transfer was marked, with where its batch stands."""

    payout_id: str
    payout_status: str = Field(description="settled once no item of it is open")
    item: PayoutItem


class ExportRow(BaseModel):
    """One transfer for the bank or wallet upload."""

    member_id: str
    name: str | None = Field(description="Her name; empty when her data was erased")
    amount: int = Field(description="Minor units (fen, cents)")
    currency: str
    reference: str = Field(description="The item's id, to carry on the transfer")


def create_payout(
    *, store: GraphStore, create: PayoutCreate, actor: Actor, now: int
) -> tuple[Payout, bool]:
    """The batch in draft and True, or the batch already under this id (a retry) and
    False."""
    if create.as_of is None:
        existing = _existing(store, create)
        if existing is not None:
            return existing, False
        create = create.model_copy(update={"as_of": now})
    assert create.as_of is not None
    if create.as_of > now:
        raise InvalidInput(
            f"as_of ({iso_moment(create.as_of)}) is in the future; a batch pays what is "
            "available already",
            field="as_of",
        )
    plan = plan_in_force(store.plans(), create.as_of)
    rules = plan.payouts if plan is not None else PayoutRules()
    for _ in range(CREATE_ATTEMPTS):
        existing = _existing(store, create)
        if existing is not None:
            return existing, False
        candidates = store.payout_candidates(create.currency, create.as_of, now)
        items, skipped = batch_items(candidates, create, rules)
        if store.create_payout(create, items, skipped, actor, now):
            return get_payout(store=store, payout_id=create.id), True
    raise Conflict(
        f"payout {create.id}: other batches kept claiming its members' entries; try again",
        payout_id=create.id,
    )


def _existing(store: GraphStore, create: PayoutCreate) -> Payout | None:
    found = store.payouts_by_id([create.id])
    if not found:
        return None
    payout = found[0]
    as_of = create.as_of if create.as_of is not None else payout.as_of
    asked = (as_of, create.currency, create.minimum)
    if (payout.as_of, payout.currency, payout.minimum) != asked:
        raise Conflict(
            f"payout {create.id} exists with other terms (as_of {payout.as_of}, currency "
            f"{payout.currency}, minimum {payout.minimum})",
            payout_id=create.id,
        )
    return payout


def get_payout(*, store: GraphStore, payout_id: str) -> Payout:
    found = store.payouts_by_id([payout_id])
    if not found:
        raise NotFound(f"payout {payout_id} does not exist", payout_id=payout_id)
    return found[0]


def list_payouts(*, store: GraphStore, cursor: str | None, limit: int) -> PayoutPage:
    after = decode_position(cursor) if cursor is not None else (2**62, "")
    found = store.payout_ids_page(after, limit + 1)
    page = found[:limit]
    payouts = {p.id: p for p in store.payouts_by_id([payout_id for _, payout_id in page])}
    more = len(found) > limit
    return PayoutPage(
        items=[payouts[payout_id] for _, payout_id in page if payout_id in payouts],
        next_cursor=encode_position(*page[-1]) if more else None,
    )


def approve_payout(*, store: GraphStore, payout_id: str, actor: Actor, now: int) -> Payout:
    status = _status(store, payout_id)
    if status == "draft":
        store.move_payout(payout_id, "approve", *BATCH_MOVES["approve"], actor, now)
        status = _status(store, payout_id)  # a concurrent approval moved it as well
    if status != "approved":
        raise Conflict(
            f"payout {payout_id} is {status}: it was approved and exported already",
            payout_id=payout_id,
            payout_status=status,
        )
    return get_payout(store=store, payout_id=payout_id)


def export_payout(
    *, store: GraphStore, payout_id: str, actor: Actor, now: int
) -> tuple[Payout, list[ExportRow]]:
    """Its transfers, by member id; the first export moves an approved batch to exported,
    and every export gives the same rows (names follow erasures)."""
    status = _status(store, payout_id)
    if status == "draft":
        raise Conflict(
            f"payout {payout_id} is a draft: approve it before exporting it",
            payout_id=payout_id,
            payout_status=status,
        )
    if status == "approved":
        store.move_payout(payout_id, "export", *BATCH_MOVES["export"], actor, now)
    payout = get_payout(store=store, payout_id=payout_id)
    names = store.payee_names([item.member_id for item in payout.items])
    rows = [
        ExportRow(
            member_id=item.member_id,
            name=names.get(item.member_id),
            amount=item.amount,
            currency=item.currency,
            reference=item_id(payout.id, item.member_id),
        )
        for item in payout.items
    ]
    return payout, rows


def _status(store: GraphStore, payout_id: str) -> str:
    status = store.payout_status(payout_id)
    if status is None:
        raise NotFound(f"payout {payout_id} does not exist", payout_id=payout_id)
    return status


def mark_item_paid(
    *,
    store: GraphStore,
    payout_id: str,
    member_id: str,
    paid: ItemPaid,
    actor: Actor,
    now: int,
) -> ItemState:
    at = paid.paid_at if paid.paid_at is not None else now
    if at > now:
        raise InvalidInput(f"paid_at ({iso_moment(at)}) is in the future", field="paid_at")
    return _settle(store, payout_id, member_id, paid.reference, None, at, actor, now)


def mark_item_failed(
    *,
    store: GraphStore,
    payout_id: str,
    member_id: str,
    failed: ItemFailed,
    actor: Actor,
    now: int,
) -> ItemState:
    return _settle(store, payout_id, member_id, None, failed.reason, now, actor, now)


def _settle(
    store: GraphStore,
    payout_id: str,
    member_id: str,
    reference: str | None,
    reason: str | None,
    at: int,
    actor: Actor,
    now: int,
) -> ItemState:
    """Paid with `reference`, or failed for `reason`; the same again is a retry, anything
    else on a settled item a 409."""
    paid = reference is not None
    _, item = _settleable(store, payout_id, member_id)
    if item.status == "open":
        store.settle_payout_item(
            payout_id,
            member_id,
            paid=paid,
            reference=reference,
            reason=reason,
            at=at,
            actor=actor,
            now=now,
        )
        _, item = _settleable(store, payout_id, member_id)
    wanted = ("paid", reference, None) if paid else ("failed", None, reason)
    if (item.status, item.reference, item.reason) != wanted:
        raise Conflict(
            f"item {item_id(payout_id, member_id)} is {item.status}"
            + (f" with reference {item.reference}" if item.status == "paid" else ""),
            payout_id=payout_id,
            member_id=member_id,
            item_status=item.status,
        )
    status, item = _settleable(store, payout_id, member_id)
    return ItemState(payout_id=payout_id, payout_status=status, item=item)


def _settleable(store: GraphStore, payout_id: str, member_id: str) -> tuple[str, PayoutItem]:
    found = store.payout_item(payout_id, member_id)
    if found is None:
        raise NotFound(f"payout {payout_id} does not exist", payout_id=payout_id)
    status, item = found
    if item is None:
        raise NotFound(
            f"payout {payout_id} has no item for member {member_id}",
            payout_id=payout_id,
            member_id=member_id,
        )
    if status in ("draft", "approved"):
        raise Conflict(
            f"payout {payout_id} is {status}: export it before marking transfers",
            payout_id=payout_id,
            payout_status=status,
        )
    return status, item


def get_balance(*, store: GraphStore, member_id: str) -> Balance:
    if not store.get_members([member_id]):
        raise NotFound(f"member {member_id} does not exist", member_id=member_id)
    return balances_of(member_id, store.member_balance_rows(member_id))
