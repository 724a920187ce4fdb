"""The connection search's reads on the port (app/store/port.py): the neighbours of members
and circles, a frontier at a time."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from app.domain.paths import Node

Record = dict[str, Any]


class PathQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    def path_neighbours(self, nodes: Sequence[Node]) -> dict[Node, list[Node]]:
        members = [node_id for kind, node_id in nodes if kind == "member"]
        circles = [node_id for kind, node_id in nodes if kind == "circle"]
        found: dict[Node, list[Node]] = {}
        if members:
            for row in self._read("path_member_neighbours", {"ids": members}):
                found[("member", row["id"])] = [
                    *(("member", m) for m in row["members"]),
                    *(("circle", g) for g in row["circles"]),
                ]
        if circles:
            for row in self._read("path_circle_members", {"ids": circles}):
                found[("circle", row["id"])] = [("member", m) for m in row["members"]]
        return found
