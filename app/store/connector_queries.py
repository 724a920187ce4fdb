"""Key-connector runs on the port (app/store/port.py), written once over named queries: the
projection a run reads, the scores it writes back, and the latest run's rankings. Graph
Data Science, which only a Neo4j can have, lives in the Neo4j adapter."""

from __future__ import annotations

import json
from abc import abstractmethod
from array import array
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from app.domain.connectors import (
    CircleMembership,
    ConnectorArrays,
    ConnectorParts,
    ConnectorScore,
    ProjectedMember,
)
from app.store.port import ConnectorScoreRow, StoredConnectorRun

Record = dict[str, Any]
WRITE_BATCH = 5000
# Internal node ids per page of a connector export: about this many rows held at once.
EXPORT_PAGE = 100_000


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

    def connector_arrays(self) -> ConnectorArrays:
        # Pages by internal id range (both engines seek id ranges); rows become machine
        # integers as they arrive, and only a page of rows exists at a time.
        ceiling = int(self._read("connector_node_ceiling", {})[0]["ceiling"])
        ids: list[str] = []
        inviter_ids: list[str | None] = []
        joined_at, paid = array("q"), array("q")
        index_of_node: dict[int, int] = {}
        for start in range(0, ceiling, EXPORT_PAGE):
            page = {"from_node": start, "to_node": start + EXPORT_PAGE}
            for row in self._read("connector_member_page", page):
                index_of_node[row["node"]] = len(ids)
                ids.append(row["id"])
                inviter_ids.append(row["inviter_id"])
                joined_at.append(row["joined_at"])
                paid.append(row["paid_direct_invites"])
        index = {member_id: i for i, member_id in enumerate(ids)}
        # A stored inviter that is not a member reads as -2, which `check` refuses.
        inviter = array("q", (-1 if p is None else index.get(p, -2) for p in inviter_ids))
        del index, inviter_ids
        circles: dict[str, int] = {}
        members, circle_of = array("q"), array("q")
        for start in range(0, ceiling, EXPORT_PAGE):
            page = {"from_node": start, "to_node": start + EXPORT_PAGE}
            for row in self._read("connector_membership_page", page):
                members.append(index_of_node[row["node"]])
                circle_of.append(circles.setdefault(row["circle_id"], len(circles)))
        return ConnectorArrays(
            ids=ids,
            inviter=inviter,
            joined_at=joined_at,
            paid=paid,
            circle_ids=list(circles),
            membership_member=members,
            membership_circle=circle_of,
        )

    def write_connector_scores(self, scores: Sequence[ConnectorScore], computed_at: int) -> None:
        self.write_connector_rows(
            (ConnectorScoreRow(s.member_id, s.score, s.parts.model_dump_json()) for s in scores),
            computed_at,
        )

    def write_connector_rows(self, rows: Iterable[ConnectorScoreRow], computed_at: int) -> None:
        # The parts go as one JSON property: a member keeps her latest run's explanation.
        # Rows are made a batch at a time.
        stream = iter(rows)
        while batch := [
            {"id": row.member_id, "score": row.score, "parts": row.parts_json}
            for row in islice(stream, WRITE_BATCH)
        ]:
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
            estimator=row["estimator"],
            sources=row["sources"],
            error_bound=row["error_bound"],
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
