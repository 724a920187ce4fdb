"""Tier what-if operations on the port (app/store/port.py), written once over named
queries: reads only (a simulation writes nothing)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from app.store.port import PeriodOrder, TierGroup, Trainer

Record = dict[str, Any]


class SimulationQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    def tier_groups(self) -> list[TierGroup]:
        rows = self._read("simulation_tier_groups", {})
        return [TierGroup(row["tier"], row["paid"], row["members"]) for row in rows]

    def move_sample(self, tier: str, low: int, high: int) -> list[str]:
        params = {"tier": tier, "low": low, "high": high}
        return [row["id"] for row in self._read("simulation_move_sample", params)]

    def period_orders(self, from_: int, to: int) -> list[PeriodOrder]:
        rows = self._read("simulation_period_orders", {"from": from_, "to": to})
        return [
            PeriodOrder(row["id"], row["amount"], row["placed_at"], row["source_id"])
            for row in rows
        ]

    def trainers(self, sources: Sequence[str]) -> dict[str, Trainer]:
        if not sources:
            return {}
        rows = self._read("simulation_trainers", {"sources": list(sources)})
        return {
            row["source_id"]: Trainer(row["trainer_id"], list(row["paid_times"])) for row in rows
        }

    def allowance_paid(self, order_ids: Sequence[str]) -> int:
        if not order_ids:
            return 0
        rows = self._read("simulation_allowance_paid", {"order_ids": list(order_ids)})
        return sum(int(row["amount"]) for row in rows)
