"""Plan versions on the port (app/store/port.py), written once over named queries."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from app.domain.plans import Plan
from app.store.port import Occurrence

Record = dict[str, Any]


class PlanQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    def plans(self) -> list[Plan]:
        return [Plan.model_validate_json(row["document"]) for row in self._read("plans", {})]

    def put_plan(self, plan: Plan, loaded_at: int) -> bool:
        rows = self._write(
            "put_plan",
            {
                "version": plan.version,
                "effective_from": plan.effective_from,
                "currency": plan.currency,
                "document": plan.document_json(),
                "loaded_at": loaded_at,
            },
        )
        return bool(rows)

    def first_order_from(self, at: int) -> Occurrence | None:
        rows = self._read("first_order_from", {"at": at})
        return Occurrence(rows[0]["id"], rows[0]["placed_at"]) if rows else None

    def first_paid_from(self, at: int) -> Occurrence | None:
        rows = self._read("first_paid_from", {"at": at})
        return Occurrence(rows[0]["id"], rows[0]["paid_at"]) if rows else None
