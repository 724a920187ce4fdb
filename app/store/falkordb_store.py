"""The FalkorDB adapter: named queries through the `falkordb` client (never the Bolt port),
results reshaped into plain records."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import redis
from falkordb import FalkorDB

from app.core.errors import GdsUnavailable, InvalidInput, StoreUnavailable
from app.store.catalogue import Backend, QueryCatalogue
from app.store.cypher_store import CypherStore, Record
from app.store.embedded import EmbeddedEngine, request_rewrite
from app.store.port import ForestRow, Migration

FOREST_PAGE = 20_000
# Schema errors that mean "already done": a migration re-applied after a crash between
# applying it and recording it.
COMPACT_TIMEOUT_S = 600
ALREADY_DONE = ("already indexed", "already exists", "constraint already")


class StoreQueryError(RuntimeError):
    """The engine refused a query: a bug in a query or a migration, never bad user input."""


class FalkorDBStore(CypherStore):
    backend = Backend.FALKORDB

    def __init__(
        self,
        client: FalkorDB,
        graph_name: str,
        catalogue: QueryCatalogue,
        engine: EmbeddedEngine | None = None,
    ) -> None:
        super().__init__(catalogue)
        self.client = client
        self.graph_name = graph_name
        self.graph = client.select_graph(graph_name)
        self.engine = engine
        # FalkorDB evaluates a write statement's reads before it takes the graph's write
        # lock, so two adds (or removes) of one pair in flight can both find no edge and
        # both count her (seen in CI, 8 threads). Membership writes from this process go
        # one at a time; they are rare and small.
        self._membership_writes = threading.Lock()

    def add_group_members(self, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        with self._membership_writes:
            return super().add_group_members(pairs)

    def remove_group_member(self, group_id: str, member_id: str) -> bool | None:
        with self._membership_writes:
            return super().remove_group_member(group_id, member_id)

    # Graph Data Science is a Neo4j plugin: this engine has none, and says so.
    def gds_available(self) -> bool:
        return False

    def gds_version(self) -> str:
        raise GdsUnavailable("FalkorDB has no Graph Data Science")

    def gds_member_betweenness(self, *, with_circles: bool) -> dict[str, float]:
        raise GdsUnavailable("FalkorDB has no Graph Data Science")

    def _read(self, name: str, params: Record) -> list[Record]:
        return self._run(name, params, read_only=True)

    def _write(self, name: str, params: Record) -> list[Record]:
        return self._run(name, params, read_only=False)

    def _run(self, name: str, params: Record, *, read_only: bool) -> list[Record]:
        query = self.queries[name]
        if _holds_nul(params):
            # The client sends parameters in a text header that a NUL would cut short.
            raise InvalidInput("text sent to the graph may not contain a NUL character")
        try:
            result = (
                self.graph.ro_query(query, params) if read_only else self.graph.query(query, params)
            )
        except redis.ConnectionError as error:  # also "loading": a restarted engine replaying
            raise self._unavailable(error) from error
        except redis.ResponseError as error:
            raise StoreQueryError(f"query {name!r} failed on FalkorDB: {error}") from error
        columns = [column[1] for column in result.header]
        return [dict(zip(columns, _plain(row), strict=True)) for row in result.result_set]

    def _unavailable(self, error: redis.ConnectionError) -> StoreUnavailable:
        if self.engine is None:
            return StoreUnavailable(f"the FalkorDB engine did not answer: {error}")
        # Our own engine: a serving owner's supervisor restarts it and logs that (one line,
        # not one per failed call); the detail leaves out the socket's path.
        self.engine.notice_trouble()
        if self.engine.supervised:
            return StoreUnavailable("the embedded graph engine is restarting; retry shortly")
        return StoreUnavailable(f"the embedded graph engine did not answer: {error}")

    def ping(self) -> None:
        if self.engine is not None and self.engine.recovering:
            # It may answer already, but the start-up repairs have not run yet.
            raise StoreUnavailable("the embedded graph engine is restarting; retry shortly")
        # A write-mode query creates the graph's key: read-only queries on a graph that has
        # never been written fail with "empty key".
        self._write("ping", {})

    def iter_forest(self) -> Iterator[ForestRow]:
        ceiling = self._read("node_id_ceiling", {})[0]["ceiling"]
        for start in range(0, ceiling, FOREST_PAGE):
            page = self._read("forest_rows", {"from_node": start, "to_node": start + FOREST_PAGE})
            yield from (ForestRow(**record) for record in page)

    def apply_migration(self, migration: Migration) -> None:
        try:
            if migration.kind == "constraint":
                args = migration.body.split()
                self.client.connection.execute_command(
                    "GRAPH.CONSTRAINT", "CREATE", self.graph_name, *args
                )
            else:
                for statement in migration.statements():
                    self._run_schema(statement)
        except redis.ResponseError as error:
            if not any(marker in str(error).lower() for marker in ALREADY_DONE):
                raise StoreQueryError(f"migration {migration.name} failed: {error}") from error

    def _run_schema(self, statement: str) -> None:
        try:
            self.graph.query(statement)
        except redis.ResponseError as error:
            if not any(marker in str(error).lower() for marker in ALREADY_DONE):
                raise

    def compact(self) -> None:
        """Rewrites the append-only file as a snapshot (its RDB base) and waits for it: a
        start then loads the graph with its indexes instead of replaying every statement."""
        connection = self.client.connection
        if connection.info("persistence").get("aof_enabled") != 1:
            return
        request_rewrite(connection)  # one already running or scheduled: wait for it
        deadline = time.monotonic() + COMPACT_TIMEOUT_S
        while time.monotonic() < deadline:
            state = connection.info("persistence")
            if not state["aof_rewrite_in_progress"] and not state["aof_rewrite_scheduled"]:
                if state["aof_last_bgrewrite_status"] != "ok":
                    raise StoreUnavailable("the engine failed to rewrite its append-only file")
                return
            time.sleep(0.05)
        raise StoreUnavailable(f"the append-only file rewrite took over {COMPACT_TIMEOUT_S} s")

    def drop_everything(self) -> None:
        """Deletes the whole graph (tests and `generate --reset` only)."""
        try:
            self.graph.delete()
        except redis.ResponseError as error:
            if "empty key" not in str(error).lower() and "invalid graph" not in str(error).lower():
                raise
        self.graph = self.client.select_graph(self.graph_name)

    def close(self) -> None:
        self.client.connection.close()
        if self.engine is not None:
            self.engine.stop()


def _plain(row: list[Any]) -> list[Any]:
    # The client returns maps as OrderedDict; callers expect plain dicts.
    return [dict(value) if isinstance(value, dict) else value for value in row]


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    return False
