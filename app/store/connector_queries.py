"""Key-connector runs on the port (app/store/port.py), written once over named queries: the
projection a run reads, the scores it writes back, and the latest run's rankings. Graph
Data Science, which only a Neo4j can have, lives in the Neo4j adapter."""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from app.domain.connectors import (
    CircleMembership,
    ConnectorParts,
    ConnectorScore,
    ProjectedMember,
)
from app.store.port import StoredConnectorRun

Record = dict[str, Any]
WRITE_BATCH = 5000


class ConnectorQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    def connector_members(self) -> list[ProjectedMember]:
        return [ProjectedMember(**row) for row in self._read("connector_members", {})]

    def connector_memberships(self) -> list[CircleMembership]:
        rows = self._read("connector_memberships", {})
        return [
            CircleMembership(member_id=row["member_id"], circle_id=row["circle_id"]) for row in rows
        ]

    def write_connector_scores(self, scores: Sequence[ConnectorScore], computed_at: int) -> None:
        # The parts go as one JSON property: a member keeps her latest run's explanation.
        rows = [
            {"id": s.member_id, "score": s.score, "parts": s.parts.model_dump_json()}
            for s in scores
        ]
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            self._write("connector_write_scores", {"rows": batch, "computed_at": computed_at})

    def put_connector_run(self, run: StoredConnectorRun) -> None:
        params = {**run.model_dump(exclude={"rankings"}), "rankings": json.dumps(run.rankings)}
        self._write("connector_put_run", params)

    def connector_run(self) -> StoredConnectorRun | None:
        rows = self._read("connector_run", {})
        if not rows:
            return None
        row = rows[0]
        return StoredConnectorRun(
            computed_at=row["computed_at"],
            approximate=bool(row["approximate"]),
            members=row["members"],
            # Runs stored before GDS could compute it have no source: networkx did.
            betweenness_source=row["betweenness_source"] or "networkx",
            rankings=json.loads(row["rankings"]),
        )

    def connector_scores_of(self, ids: Sequence[str]) -> list[ConnectorScore]:
        rows = self._read("connector_parts_of", {"ids": list(ids)}) if ids else []
        return [_score(row) for row in rows]

    def connector_circle_scores(self, circle: str) -> list[ConnectorScore]:
        return [_score(row) for row in self._read("connector_circle_members", {"circle": circle})]


def _score(row: Record) -> ConnectorScore:
    return ConnectorScore(
        member_id=row["id"],
        score=float(row["score"]),
        parts=ConnectorParts.model_validate_json(row["parts"]),
    )
