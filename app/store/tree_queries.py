"""Tree operations on the port (app/store/port.py), written once over named queries."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from app.domain.tree import TreeNode
from app.store.port import ChildrenAsk

Record = dict[str, Any]


class TreeQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    def tree_children(self, asks: Sequence[ChildrenAsk]) -> dict[str, list[TreeNode]]:
        if not asks:
            return {}
        params = {
            "asks": [
                {
                    "parent_id": ask.parent_id,
                    "after_total": ask.after[0],
                    "after_id": ask.after[1],
                    "take": ask.take + 1,
                }
                for ask in asks
            ]
        }
        # Each child comes as a compact row (cypher/tree_children.cypher), in this order; the
        # counters as integers whatever number type the engine hands back.
        return {
            row["parent_id"]: [
                TreeNode(
                    id=child_id,
                    name=name,
                    tier=tier,
                    paid=paid,
                    direct_total=int(direct_total),
                    downline_total=int(downline_total),
                )
                for child_id, name, tier, paid, direct_total, downline_total in row["children"]
            ]
            for row in self._read("tree_children", params)
        }
