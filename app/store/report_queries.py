"""The auditor's and the reports' reads on the port (app/store/port.py), written once
over named queries: the ledger page by page and entry by entry, earnings, and the compliance
report's aggregates. The engine aggregates; rows come back as our models."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from app.domain.ledger import LedgerEntry, LedgerFilter, TimeBasis, TimeWindow
from app.store.order_queries import entry_from_record
from app.store.port import DepthRow, EarningsDay, LedgerSummaryRow, SubtreeRow

Record = dict[str, Any]


def window_params(window: TimeWindow) -> Record:
    return {"from": window.from_, "to": window.to, "by": window.by}


class ReportQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    # Amounts are summed as a high part and a low remainder of this size: FalkorDB's sum()
    # adds in a double, exact only below 2^53 (Neo4j's is exact anyway).
    _SUM_SPLIT = 1 << 26

    def ledger_entry(self, entry_id: str) -> LedgerEntry | None:
        rows = self._read("ledger_entry", {"id": entry_id})
        return entry_from_record(rows[0]["entry"]) if rows else None

    def ledger_page(
        self, where: LedgerFilter, after: tuple[int, str], limit: int
    ) -> list[LedgerEntry]:
        # Starts from the most selective index the filter allows.
        name = (
            "ledger_page_of_order"
            if where.order_id is not None
            else "ledger_page_of_beneficiary"
            if where.beneficiary_id is not None
            else "ledger_page_by_event"
            if where.by == "event_at"
            else "ledger_page_by_write"
        )
        params = {
            **where.model_dump(exclude={"from_"}),
            "from": where.from_,
            "after_at": after[0],
            "after_id": after[1],
            "limit": limit,
        }
        return [entry_from_record(row["entry"]) for row in self._read(name, params)]

    def ledger_entry_count(self) -> int:
        return int(self._read("ledger_entry_count", {})[0]["entries"])

    def invitation_edges(self, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        if not pairs:
            return set()
        rows = self._read("invitation_edges", {"pairs": [list(pair) for pair in pairs]})
        return {(row["invitee_id"], row["inviter_id"]) for row in rows}

    def earnings_by_day(
        self, member_id: str, from_: int, to: int, by: TimeBasis = "event_at"
    ) -> list[EarningsDay]:
        window = window_params(TimeWindow(from_=from_, to=to, by=by))
        params = {**window, "member_id": member_id, "split": self._SUM_SPLIT}
        return [EarningsDay(**row) for row in self._read("earnings_by_day", params)]

    def members_by_depth(self, min_members: int, min_levels: int) -> list[DepthRow]:
        params = {"min_members": min_members, "min_levels": min_levels}
        return [DepthRow(**row) for row in self._read("compliance_members_by_depth", params)]

    def largest_subtrees(self, min_members: int, min_levels: int, limit: int) -> list[SubtreeRow]:
        params = {"min_members": min_members, "min_levels": min_levels, "limit": limit}
        return [SubtreeRow(**row) for row in self._read("compliance_largest_subtrees", params)]

    def ledger_summary(self, window: TimeWindow) -> list[LedgerSummaryRow]:
        params = {**window_params(window), "split": self._SUM_SPLIT}
        rows = self._read("compliance_ledger_summary", params)
        return [LedgerSummaryRow(**row) for row in rows]

    def self_dealing_entry_ids(self, window: TimeWindow, limit: int) -> list[str]:
        params = {**window_params(window), "limit": limit}
        return [row["id"] for row in self._read("compliance_self_dealing_entries", params)]

    def entry_ids_beyond_hop(self, window: TimeWindow, max_hop: int, limit: int) -> list[str]:
        params = {**window_params(window), "max_hop": max_hop, "limit": limit}
        return [row["id"] for row in self._read("compliance_entries_beyond_hop", params)]
