"""Analytics operations on the port, written once over named queries (as ledger_queries.py
does for the ledger); the AnalyticsStore protocol the services type against is beside them.
Reads only; the engine aggregates per member, the calendar rules stay in app/domain/."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Protocol

Record = dict[str, Any]


class AnalyticsStore(Protocol):
    """What the services need from the store for this capability."""

    def cohort_members(self, from_: int, to: int, until: int) -> list[tuple[int, list[int]]]: ...

    def net_sales(self, from_: int, to: int) -> list[tuple[str, str, int]]: ...


class AnalyticsQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    # Money is summed as a high part and a low remainder of this size: FalkorDB's sum() adds
    # in a double, exact only below 2^53 (as LedgerQueries._SUM_SPLIT).
    _NET_SPLIT = 1 << 26

    def cohort_members(self, from_: int, to: int, until: int) -> list[tuple[int, list[int]]]:
        """(joined_at, placed_at of her purchases before `until`) of every member who joined
        in [from_, to); a purchase is an order she bought that is not refunded in full."""
        rows = self._read("analytics_cohort_members", {"from": from_, "to": to, "until": until})
        return [(int(row["joined_at"]), [int(t) for t in row["purchases"]]) for row in rows]

    def net_sales(self, from_: int, to: int) -> list[tuple[str, str, int]]:
        """(buyer, currency, net of refunds) of the orders placed in [from_, to), net > 0."""
        params = {"from": from_, "to": to, "split": self._NET_SPLIT}
        rows = self._read("analytics_net_sales", params)
        return [(row["buyer_id"], row["currency"], int(row["net"])) for row in rows]
