"""Neo4j Graph Data Science, part of the Neo4j adapter: whether the engine has it, and the
connector graph's betweenness computed inside it instead of in igraph. Only Neo4j can have
GDS (the open edition is a Neo4j plugin; scripts/neo4j-local installs it); the FalkorDB
adapter answers that it has none.

The betweenness is our definition (app/domain/connectors.py), exact: GDS's own sampling
(`samplingSize`) draws sources by degree and by position in its node order and leaves the
sum unscaled, which estimates another quantity, so sampled runs stay in igraph. With
circles the projection holds members only, each circle becoming an edge of weight 2 between
every two of its members (`circle_pair_edges` says why that is the same betweenness), since
GDS counts every projected node as an endpoint."""

from __future__ import annotations

import uuid
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from neo4j.exceptions import ClientError, Neo4jError

from app.core.errors import GdsUnavailable
from app.domain.connectors import betweenness_from_pair_sums

Record = dict[str, Any]


class GdsQueries:
    # The probe's answer (a version, or why there is none), asked once per store: a Neo4j
    # gains or loses a plugin only by restarting.
    _gds: tuple[str, bool] | None = None

    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _read_in_one_transaction(self, steps: Sequence[tuple[str, Record]]) -> list[list[Record]]:
        """Runs named read queries in order, each step's rows in the answer. GDS keeps a
        projection in the memory of the server that made it, so a cluster must run these on
        one server: in one transaction."""

    def gds_version(self) -> str:
        if self._gds is None:
            self._gds = self._probe_gds()
        answer, available = self._gds
        if not available:
            raise GdsUnavailable(answer)
        return answer

    def _probe_gds(self) -> tuple[str, bool]:
        try:
            return str(self._read("gds_version", {})[0]["version"]), True
        except ClientError as error:  # Neo.ClientError.Statement.SyntaxError: unknown function
            return f"no gds.version(): {error.code}: {error.message}", False

    def gds_available(self) -> bool:
        try:
            self.gds_version()
        except GdsUnavailable:
            return False
        return True

    def gds_member_betweenness(self, *, with_circles: bool) -> dict[str, float]:
        self.gds_version()
        graph: Record = {"graph": f"refgraph-connectors-{uuid.uuid4().hex}"}
        project = "gds_project_members_circles" if with_circles else "gds_project_members"
        config = {"relationshipWeightProperty": "weight"} if with_circles else {}
        # The first drop makes a retried transaction start clean: a projection is not
        # transactional, so one made by an attempt that failed later is still there.
        steps: list[tuple[str, Record]] = [
            ("gds_graph_drop", graph),
            (project, graph),
            ("gds_betweenness", {**graph, "config": config}),
            ("gds_graph_drop", graph),
        ]
        try:
            rows = self._read_in_one_transaction(steps)[2]
        except Neo4jError as error:  # a refusal (memory estimation, ...), not a lost server
            raise GdsUnavailable(
                f"GDS betweenness failed: {error.code}: {error.message}"
            ) from error
        finally:
            # Frees the memory when a step failed; nothing to do when the last step ran.
            self._read("gds_graph_drop", graph)
        return betweenness_from_pair_sums({row["id"]: float(row["score"]) for row in rows})
