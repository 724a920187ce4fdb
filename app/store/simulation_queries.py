"""Tier what-if operations on the port, written once over named queries: reads only (a
simulation writes nothing)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, Protocol

Record = dict[str, Any]


class SimulationStore(Protocol):
    def tier_groups(self) -> list[tuple[str, int, int]]: ...

    def move_sample(self, tier: str, low: int, high: int) -> list[str]: ...

    def period_orders(self, from_: int, to: int) -> list[tuple[str, int, int, str]]: ...

    def trainers(self, sources: Sequence[str]) -> dict[str, tuple[str, list[int]]]: ...

    def allowance_paid(self, order_ids: Sequence[str]) -> int: ...


class SimulationQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    def tier_groups(self) -> list[tuple[str, int, int]]:
        """(tier now, paid direct invites, members) for every such group."""
        rows = self._read("simulation_tier_groups", {})
        return [(row["tier"], row["paid"], row["members"]) for row in rows]

    def move_sample(self, tier: str, low: int, high: int) -> list[str]:
        """Up to 20 members holding `tier` now with paid direct invites in [low, high]."""
        params = {"tier": tier, "low": low, "high": high}
        return [row["id"] for row in self._read("simulation_move_sample", params)]

    def period_orders(self, from_: int, to: int) -> list[tuple[str, int, int, str]]:
        """(order, amount, placed_at, source) of the orders placed in [from_, to)."""
        rows = self._read("simulation_period_orders", {"from": from_, "to": to})
        return [(row["id"], row["amount"], row["placed_at"], row["source_id"]) for row in rows]

    def trainers(self, sources: Sequence[str]) -> dict[str, tuple[str, list[int]]]:
        """Source -> (her inviter, the paid times of everyone that inviter invited)."""
        if not sources:
            return {}
        rows = self._read("simulation_trainers", {"sources": list(sources)})
        return {row["source_id"]: (row["trainer_id"], list(row["paid_times"])) for row in rows}

    def allowance_paid(self, order_ids: Sequence[str]) -> int:
        """The training allowance the ledger granted for the orders, before refunds."""
        if not order_ids:
            return 0
        rows = self._read("simulation_allowance_paid", {"order_ids": list(order_ids)})
        return sum(int(row["amount"]) for row in rows)
