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
from app.store.column_pages import column_pages, integers, texts
from app.store.port import ConnectorScoreRow, StoredConnectorRun

Record = dict[str, Any]
# Score rows per write: [id, score, parts] lists, encoded once per batch.
WRITE_BATCH = 20_000
# Members per page of a connector export: about this many members' values held at once.
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
        # Each page is one record of columns whose values become machine integers as they
        # arrive: a page of members exists as Python objects at a time, never a record per
        # member. A page says where it ends (`until`) and where the next starts (`next`,
        # null after the last): Neo4j follows the member id index, FalkorDB internal id
        # ranges below the ceiling.
        ceiling = self._read("connector_node_ceiling", {})[0]["ceiling"]
        ids: list[str] = []
        inviter_ids: list[str] = []
        joined_at, paid = array("q"), array("q")
        windows: list[Record] = []
        for after, page in column_pages(self._read, "connector_member_page", EXPORT_PAGE, ceiling):
            count = page["members"]
            ids.extend(texts(page["ids"], count))
            inviter_ids.extend(texts(page["inviter_ids"], count))
            joined_at.extend(integers(page["joined_at"], count))
            paid.extend(integers(page["paid_direct_invites"], count))
            windows.append({"after": after, "until": page["until"]})
        index = {member_id: i for i, member_id in enumerate(ids)}
        # A stored inviter that is not a member reads as -2, which `check` refuses.
        inviter = array("q", (index.get(p, -2) if p else -1 for p in inviter_ids))
        del inviter_ids
        circles: dict[str, int] = {}
        members, circle_of = array("q"), array("q")
        # The memberships of exactly the members each page read.
        for window in windows:
            page = self._read("connector_membership_page", window)[0]
            count = page["memberships"]
            circle_ids = texts(page["circle_ids"], count)
            for member_id, circle_id in zip(
                texts(page["member_ids"], count), circle_ids, strict=True
            ):
                # A member who joined after her page was read is not in this run.
                if (member := index.get(member_id)) is not None:
                    members.append(member)
                    circle_of.append(circles.setdefault(circle_id, len(circles)))
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
        # Rows are made a batch at a time. (Making the next batch while the engine writes
        # the last gained nothing measurable at 200,000 members on two busy cores.)
        stream = iter(rows)
        while batch := [
            [row.member_id, row.score, row.parts_json] for row in islice(stream, WRITE_BATCH)
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
