"""Analytics operations on the port (app/store/port.py), written once over named queries.
Reads only; the engine aggregates per member, the calendar rules stay in app/domain/."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Literal

from app.store.port import CohortMember, NetSale

Record = dict[str, Any]


class AnalyticsQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    # Money is summed as a high part and a low remainder of this size: FalkorDB's sum() adds
    # in a double, exact only below 2^53 (as ReportQueries._SUM_SPLIT).
    _NET_SPLIT = 1 << 26

    def cohort_members(self, from_: int, to: int, until: int) -> list[CohortMember]:
        rows = self._read("analytics_cohort_members", {"from": from_, "to": to, "until": until})
        return [
            CohortMember(int(row["joined_at"]), [int(t) for t in row["purchases"]]) for row in rows
        ]

    def net_sales(self, from_: int, to: int) -> list[NetSale]:
        params = {"from": from_, "to": to, "split": self._NET_SPLIT}
        rows = self._read("analytics_net_sales", params)
        return [NetSale(row["buyer_id"], row["currency"], int(row["net"])) for row in rows]

    def dashboard_counts(self, kind: Literal["joined", "paid"], bounds: list[int]) -> list[int]:
        """Members who joined (or became paid) in each bucket [bounds[k], bounds[k+1])."""
        params = {"from": bounds[0], "to": bounds[-1], "bounds": bounds}
        counts = [0] * (len(bounds) - 1)
        for row in self._read(f"dashboard_{kind}_buckets", params):
            counts[int(row["bucket"])] = int(row["value"])
        return counts

    def dashboard_money(
        self, kind: Literal["sales", "commission"], bounds: list[int]
    ) -> list[dict[str, int]]:
        """Net sales (or commissions) per currency in each bucket."""
        params = {"from": bounds[0], "to": bounds[-1], "bounds": bounds, "split": self._NET_SPLIT}
        money: list[dict[str, int]] = [{} for _ in range(len(bounds) - 1)]
        for row in self._read(f"dashboard_{kind}_buckets", params):
            money[int(row["bucket"])][row["currency"]] = int(row["value"])
        return money

    def members_before(self, at: int) -> tuple[int, int]:
        """Members who had joined, and who were paid, before `at`."""
        [row] = self._read("dashboard_members_before", {"at": at})
        return int(row["joined"]), int(row["paid"])
