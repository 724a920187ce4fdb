"""Tree operations on the port, written once over named queries (as ledger_queries.py
does for the ledger); the TreeStore protocol the services type against is beside them."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

from app.domain.tree import TreeNode

Record = dict[str, Any]


class ChildrenAsk(NamedTuple):
    """One parent's page of children: those after `after` in tree order, at most `take`."""

    parent_id: str
    after: tuple[int, str]
    take: int


class TreeStore(Protocol):
    """What the services need from the store for this capability."""

    def tree_children(self, asks: Sequence[ChildrenAsk]) -> dict[str, list[TreeNode]]: ...


class TreeQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    def tree_children(self, asks: Sequence[ChildrenAsk]) -> dict[str, list[TreeNode]]:
        """Parent id -> up to take + 1 of her children in tree order (one more than asked
        says whether she has more), for every asked parent that exists; one query."""
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
        return {
            row["parent_id"]: [TreeNode(**child) for child in row["children"]]
            for row in self._read("tree_children", params)
        }
