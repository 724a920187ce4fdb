"""Analytics operations on the port (app/store/port.py), written once over named queries.
Reads only; the engine aggregates per member, the calendar rules stay in app/domain/."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

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
