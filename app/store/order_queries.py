"""Orders, refunds and the ledger entries they write, on the port (app/store/port.py),
written once over named queries: the writes the order and refund services make, and the
reads they and `refgraph audit` re-derive the ledger from."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from app.domain.ledger import LedgerEntry, Order, OrderCreate, PathStep, Refund, RefundCreate
from app.domain.points import PointsEntry
from app.store.outbox import entry_created_events, outbox_params
from app.store.port import OrderContextRow, PaidMark, PurchaseState, StoredOrder

Record = dict[str, Any]


def entry_params(entry: LedgerEntry) -> Record:
    params = entry.model_dump(exclude={"path"})
    params["path_ids"] = [step.member_id for step in entry.path]
    return params


def entry_from_record(record: Record) -> LedgerEntry:
    fields = dict(record)
    path_ids = fields.pop("path_ids")
    fields["path"] = [PathStep(member_id=member, hop=hop) for hop, member in enumerate(path_ids)]
    return LedgerEntry(**fields)


def paid_marks(rows: list[Record]) -> list[PaidMark]:
    return [
        PaidMark(row["id"], row["inviter_id"], row["paid_at"], row.get("undone_at")) for row in rows
    ]


class OrderQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    def order_contexts(self, orders: Sequence[OrderCreate]) -> dict[str, OrderContextRow]:
        if not orders:
            return {}
        params = [
            {
                "id": order.id,
                "buyer_id": order.buyer_id,
                "source_id": order.source_id,
                "placed_at": order.placed_at,
            }
            for order in orders
        ]
        rows = self._read("order_context", {"orders": params})
        return {row["order_id"]: OrderContextRow(**row) for row in rows}

    def record_order(
        self,
        order: OrderCreate,
        plan_version: str | None,
        entries: Sequence[LedgerEntry],
        *,
        expected_seq: int,
        tier_seqs: dict[str, int],
        now: int,
        points: Sequence[PointsEntry] = (),
    ) -> bool:
        members = sorted(tier_seqs)
        rows = self._write(
            "record_order",
            {
                "buyer_id": order.buyer_id,
                "order": {**order.model_dump(), "plan_version": plan_version},
                "entries": [entry_params(entry) for entry in entries],
                "expected_seq": expected_seq,
                "tier_members": members,
                "tier_seqs": [tier_seqs[member] for member in members],
                "points": [entry.model_dump() for entry in points],
                "now": now,
                **outbox_params(events=entry_created_events(entries)),
            },
        )
        return bool(rows)

    def record_refund(
        self,
        order: Order,
        refund: RefundCreate,
        entries: Sequence[LedgerEntry],
        *,
        expected_refunded: int,
        expected_seq: int | None,
        next_first: str | None,
        now: int,
        points: Sequence[PointsEntry] = (),
    ) -> bool:
        rows = self._write(
            "record_refund",
            {
                "order_id": order.id,
                "buyer_id": order.buyer_id,
                "refund": refund.model_dump(),
                "entries": [entry_params(entry) for entry in entries],
                "expected_refunded": expected_refunded,
                "expected_seq": expected_seq,
                "next_first": next_first,
                "points": [entry.model_dump() for entry in points],
                "now": now,
                **outbox_params(
                    "ledger.entry_released",
                    events=entry_created_events(entries, released=False),
                ),
            },
        )
        return bool(rows)

    def buyer_purchase_state(self, buyer_id: str, except_order: str) -> PurchaseState:
        rows = self._read("buyer_purchase_state", {"buyer_id": buyer_id, "except": except_order})
        row = rows[0]
        live = StoredOrder(**row["next_live"]) if row["next_live"] else None
        return PurchaseState(row["seq"], row["first_purchase_order"], live)

    def orders_by_id(self, ids: Sequence[str]) -> list[StoredOrder]:
        rows = self._read("orders_by_id", {"ids": list(ids)}) if ids else []
        return [StoredOrder(**row["order"]) for row in rows]

    def refunds_by_id(self, ids: Sequence[str]) -> list[Refund]:
        rows = self._read("refunds_by_id", {"ids": list(ids)}) if ids else []
        return [Refund(**row["refund"]) for row in rows]

    def entries_of_orders(self, order_ids: Sequence[str]) -> list[LedgerEntry]:
        if not order_ids:
            return []
        rows = self._read("entries_of_orders", {"order_ids": list(order_ids)})
        return [entry_from_record(row["entry"]) for row in rows]

    def all_orders(self) -> list[StoredOrder]:
        return [StoredOrder(**row["order"]) for row in self._read("all_orders", {})]

    def all_refunds(self) -> list[Refund]:
        return [Refund(**row["refund"]) for row in self._read("all_refunds", {})]

    def release_due_entries(self, now: int, limit: int = 10_000) -> int:
        params = {"now": now, "limit": limit, **outbox_params("ledger.entry_released")}
        return int(self._write("release_due_entries", params)[0]["released"])

    def record_paid_bonus(self, entry: LedgerEntry) -> bool:
        events = entry_created_events([entry])
        params = {"entry": entry_params(entry), **outbox_params(events=events)}
        return bool(self._write("record_paid_bonus", params))

    def paid_members(self, from_: int) -> list[PaidMark]:
        return paid_marks(self._read("paid_members", {"from": from_}))

    def paid_marks_without_bonus(self, from_: int, bonus_prefix: str) -> list[PaidMark]:
        params = {"from": from_, "bonus_prefix": bonus_prefix}
        return paid_marks(self._read("paid_marks_without_bonus", params))

    def record_bonus_reversal(self, entry: LedgerEntry, now: int) -> bool:
        params = {
            "entry": entry_params(entry),
            "now": now,
            **outbox_params(
                "ledger.entry_released", events=entry_created_events([entry], released=False)
            ),
        }
        return bool(self._write("record_bonus_reversal", params))

    def paid_bonus_entries(self) -> list[LedgerEntry]:
        return [entry_from_record(row["entry"]) for row in self._read("paid_bonus_entries", {})]
