"""Key-connector runs on the port, written once over named queries: the
projection a run reads, the scores it writes back, and the latest run's rankings."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, Protocol

Record = dict[str, Any]
WRITE_BATCH = 5000


class ConnectorStore(Protocol):
    def connector_members(self) -> list[Record]: ...

    def connector_memberships(self) -> list[tuple[str, str]]: ...

    def write_connector_scores(self, rows: Sequence[Record], computed_at: int) -> None: ...

    def put_connector_run(
        self,
        computed_at: int,
        approximate: bool,
        members: int,
        rankings_json: str,
        betweenness_source: str = "networkx",
    ) -> None: ...

    def connector_run(self) -> Record | None: ...

    def connector_parts_of(self, ids: Sequence[str]) -> list[Record]: ...

    def connector_circle_members(self, circle: str) -> list[Record]: ...


class ConnectorQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    def connector_members(self) -> list[Record]:
        """(id, inviter_id, joined_at, paid_direct_invites, tier) of every member."""
        return self._read("connector_members", {})

    def connector_memberships(self) -> list[tuple[str, str]]:
        rows = self._read("connector_memberships", {})
        return [(row["member_id"], row["circle_id"]) for row in rows]

    def write_connector_scores(self, rows: Sequence[Record], computed_at: int) -> None:
        """Rows (id, score, parts as JSON), written in batches."""
        for start in range(0, len(rows), WRITE_BATCH):
            batch = list(rows[start : start + WRITE_BATCH])
            self._write("connector_write_scores", {"rows": batch, "computed_at": computed_at})

    def put_connector_run(
        self,
        computed_at: int,
        approximate: bool,
        members: int,
        rankings_json: str,
        betweenness_source: str = "networkx",
    ) -> None:
        params = {
            "computed_at": computed_at,
            "approximate": approximate,
            "members": members,
            "rankings": rankings_json,
            "betweenness_source": betweenness_source,
        }
        self._write("connector_put_run", params)

    def connector_run(self) -> Record | None:
        rows = self._read("connector_run", {})
        return rows[0] if rows else None

    def connector_parts_of(self, ids: Sequence[str]) -> list[Record]:
        return self._read("connector_parts_of", {"ids": list(ids)}) if ids else []

    def connector_circle_members(self, circle: str) -> list[Record]:
        return self._read("connector_circle_members", {"circle": circle})
