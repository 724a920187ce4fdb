"""Payouts, balances and statements on the port (app/store/port.py), written once over named
queries."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from app.domain.lifecycle import Actor, status_at
from app.domain.payouts import (
    BalanceRow,
    Candidate,
    ClaimedEntry,
    Payout,
    PayoutCreate,
    PayoutEvent,
    PayoutItem,
    PayoutLineRow,
    PayoutSkip,
    StoredPayoutItem,
    item_id,
    payout_line_id,
)
from app.domain.statements import StatementLine
from app.store.outbox import outbox_params

Record = dict[str, Any]
# Amounts are summed as a high part and a low remainder of this size: FalkorDB's sum() adds
# in a double, exact only below 2^53 (Neo4j's is exact anyway).
SUM_SPLIT = 1 << 26


class PayoutQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    def payout_candidates(self, currency: str, as_of: int, now: int) -> list[Candidate]:
        rows = self._read("payout_candidates", {"currency": currency, "as_of": as_of})
        return [
            Candidate(
                member_id=row["member_id"],
                status=status_at(row["status_times"], row["statuses"], now),
                erased=bool(row["erased"]),
                hold_reason=row["hold_reason"],
                entries=[(entry, int(amount)) for entry, amount in row["entries"]],
            )
            for row in rows
        ]

    def create_payout(
        self,
        create: PayoutCreate,
        items: Sequence[PayoutItem],
        skipped: Sequence[PayoutSkip],
        actor: Actor,
        now: int,
    ) -> bool:
        params = {
            "payout": {
                **create.model_dump(),
                "total": sum(item.amount for item in items),
                "skipped_ids": [skip.member_id for skip in skipped],
                "skipped_available": [skip.available for skip in skipped],
                "skipped_reasons": [skip.reason for skip in skipped],
            },
            "items": [
                {
                    "id": item_id(create.id, item.member_id),
                    "member_id": item.member_id,
                    "amount": item.amount,
                    "entry_ids": item.entry_ids,
                }
                for item in items
            ],
            "entry_ids": sorted(entry for item in items for entry in item.entry_ids),
            "actor": actor.model_dump(),
            "now": now,
        }
        return bool(self._write("payout_create", params))

    def move_payout(
        self, payout_id: str, action: str, from_: str, to: str, actor: Actor, now: int
    ) -> bool:
        params = {
            "payout_id": payout_id,
            "action": action,
            "from": from_,
            "to": to,
            "actor": actor.model_dump(),
            "now": now,
        }
        return bool(self._write("payout_transition", params))

    def settle_payout_item(
        self,
        payout_id: str,
        member_id: str,
        *,
        paid: bool,
        reference: str | None,
        reason: str | None,
        at: int,
        actor: Actor,
        now: int,
    ) -> bool:
        params = {
            "payout_id": payout_id,
            "item_id": item_id(payout_id, member_id),
            "line_id": payout_line_id(payout_id, member_id),
            "status": "paid" if paid else "failed",
            "reference": reference,
            "reason": reason,
            "at": at,
            "actor": actor.model_dump(),
            "now": now,
            **outbox_params("payout.item_paid"),
        }
        return bool(self._write("payout_item_settle", params))

    def payouts_by_id(self, ids: Sequence[str]) -> list[Payout]:
        rows = self._read("payouts_by_id", {"ids": list(ids)}) if ids else []
        return [_payout_of(row) for row in rows]

    def payout_status(self, payout_id: str) -> str | None:
        rows = self._read("payout_status", {"payout_id": payout_id})
        return str(rows[0]["status"]) if rows else None

    def payout_item(self, payout_id: str, member_id: str) -> tuple[str, PayoutItem | None] | None:
        params = {"payout_id": payout_id, "item_id": item_id(payout_id, member_id)}
        rows = self._read("payout_item_of", params)
        if not rows:
            return None
        item = rows[0]["item"]
        return rows[0]["payout_status"], PayoutItem(**item) if item else None

    def payout_ids_page(self, after: tuple[int, str], limit: int) -> list[tuple[int, str]]:
        params = {"after_at": after[0], "after_id": after[1], "limit": limit}
        return [(row["created_at"], row["id"]) for row in self._read("payout_page", params)]

    def payee_names(self, member_ids: Sequence[str]) -> dict[str, str | None]:
        rows = self._read("payee_names", {"ids": list(member_ids)}) if member_ids else []
        return {row["id"]: row["name"] for row in rows}

    def member_balance_rows(self, member_id: str) -> list[BalanceRow]:
        rows = self._read("member_balance", {"member_id": member_id, "split": SUM_SPLIT})
        claimed = [row for row in rows if row["bucket"] not in ("pending", "available")]
        status_of: dict[str, str] = {}
        if claimed:
            items = self._read("payout_items_of_member", {"member_id": member_id})
            status_of = {item["id"]: item["status"] for item in items}
        return [
            BalanceRow(
                row["currency"],
                row["bucket"]
                if row["bucket"] in ("pending", "available")
                else ("paid" if status_of.get(row["bucket"]) == "paid" else "in_payout"),
                int(row["amount"]),
            )
            for row in rows
        ]

    def statement_opening(self, member_id: str, from_: int) -> dict[str, int]:
        params = {"member_id": member_id, "from": from_, "split": SUM_SPLIT}
        opening: dict[str, int] = {}
        for row in self._read("statement_opening", params):
            opening[row["currency"]] = opening.get(row["currency"], 0) + int(row["amount"])
        return opening

    def statement_lines(
        self, member_id: str, from_: int, to: int, limit: int
    ) -> list[StatementLine]:
        params = {"member_id": member_id, "from": from_, "to": to, "limit": limit}
        rows = self._read("statement_lines", params)
        lines = [StatementLine(**row) for row in rows]
        return sorted(lines, key=lambda line: (line.event_at, line.id))

    def payout_items_for_audit(self) -> list[StoredPayoutItem]:
        return [StoredPayoutItem(**row) for row in self._read("payout_audit_items", {})]

    def claimed_entries(self) -> list[ClaimedEntry]:
        return [ClaimedEntry(**row) for row in self._read("payout_audit_claims", {})]

    def payout_lines(self) -> list[PayoutLineRow]:
        return [PayoutLineRow(**row) for row in self._read("payout_audit_lines", {})]


def _payout_of(row: Record) -> Payout:
    fields = row["payout"]
    items = sorted(
        (PayoutItem(**item) for item in row["items"] if item),
        key=lambda item: item.member_id,
    )
    events = sorted((event for event in row["events"] if event), key=lambda e: e["seq"])
    skipped = [
        PayoutSkip(member_id=member, available=available, reason=reason)
        for member, available, reason in zip(
            fields.get("skipped_ids") or [],
            fields.get("skipped_available") or [],
            fields.get("skipped_reasons") or [],
            strict=True,
        )
    ]
    return Payout(
        id=fields["id"],
        status=fields["status"],
        as_of=fields["as_of"],
        currency=fields["currency"],
        minimum=fields["minimum"],
        created_at=fields["created_at"],
        total=fields["total"],
        items=items,
        skipped=skipped,
        events=[PayoutEvent(**event) for event in events],
    )
