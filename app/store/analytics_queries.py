"""Analytics operations on the port, written once over named queries (as ledger_queries.py
does for the ledger); the AnalyticsStore protocol the services type against is beside them."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Protocol

Record = dict[str, Any]


class AnalyticsStore(Protocol):
    """What the services need from the store for this capability."""


class AnalyticsQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...
