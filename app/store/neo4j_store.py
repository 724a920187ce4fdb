"""The Neo4j 5 adapter: named queries through the official driver. Reads run as read
transactions (through `neo4j://`, a cluster serves them from its secondaries and read
replicas), writes as managed write transactions on the leader (retried on transient errors),
and the driver's bookmarks make a read see the writes this process made before it: every
call, `execute_query` and the sessions alike, shares the driver's one bookmark manager."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import neo4j
from neo4j import GraphDatabase, NotificationDisabledClassification, RoutingControl
from neo4j.exceptions import (
    ConstraintError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from app.core.errors import StoreUnavailable
from app.core.metrics import timed_query
from app.store.catalogue import Backend, QueryCatalogue
from app.store.cypher_store import CypherStore, Record
from app.store.neo4j_gds import GdsQueries
from app.store.port import ForestRow, Migration

# What a call gives up on after the driver's own retries: the server, not the request.
UNREACHABLE = (ServiceUnavailable, SessionExpired, TransientError)
# A concurrent writer can win a unique-id race between our check and our commit; every write
# statement is idempotent, so running it again resolves the race (the id now exists).
CONSTRAINT_RETRIES = 5


class Neo4jStore(GdsQueries, CypherStore):
    backend = Backend.NEO4J

    def __init__(
        self, driver: neo4j.Driver, database: str | None, catalogue: QueryCatalogue
    ) -> None:
        super().__init__(catalogue)
        self.driver = driver
        self.database = database

    @classmethod
    def connect(
        cls,
        url: str,
        auth: tuple[str, str] | None,
        database: str | None,
        catalogue: QueryCatalogue,
    ) -> Neo4jStore:
        driver = GraphDatabase.driver(
            url,
            auth=auth,
            max_connection_pool_size=64,
            # A managed transaction is retried on transient errors (deadlocks under one dense
            # inviter, a leader switch) and on a server it cannot reach, until this budget
            # has passed since the first failure. The driver's 30 s held every call to an
            # unreachable Neo4j for ~31 s before its 503; 5 s still leaves a deadlocked
            # write three retries (after ~1, ~3 and ~7 s), and a 503 comes within ~7 s.
            max_transaction_retry_time=5.0,
            # A host that drops packets instead of refusing: the driver waited 30 s for
            # each connection attempt.
            connection_timeout=5.0,
            # The queries read properties only some nodes carry (a sponsor move's valid_to,
            # a status history), through coalesce; until one node has carried it, the server
            # warns on every statement that the key is unknown (20,000 warnings in a 1M
            # benchmark's load, each logged by the driver).
            notifications_disabled_classifications=[
                NotificationDisabledClassification.UNRECOGNIZED
            ],
        )
        return cls(driver, database, catalogue)

    def _read(self, name: str, params: Record) -> list[Record]:
        return self._run(name, params, RoutingControl.READ)

    def _write(self, name: str, params: Record) -> list[Record]:
        for attempt in range(CONSTRAINT_RETRIES):
            try:
                return self._run(name, params, RoutingControl.WRITE)
            except ConstraintError:
                if attempt == CONSTRAINT_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _run(self, name: str, params: Record, routing: RoutingControl) -> list[Record]:
        try:
            with timed_query(name, self.backend.value):
                records, _, _ = self.driver.execute_query(
                    self.queries[name], params, routing_=routing, database_=self.database
                )
        except UNREACHABLE as error:
            raise self._unavailable(error) from error
        return [record.data() for record in records]

    def _read_in_one_transaction(self, steps: Sequence[tuple[str, Record]]) -> list[list[Record]]:
        """One managed read transaction, so one server runs every step (retried whole on
        transient errors)."""

        def work(tx: neo4j.ManagedTransaction) -> list[list[Record]]:
            return [tx.run(self.queries[name], params).data() for name, params in steps]

        try:
            with self._session() as session:
                return session.execute_read(work)
        except UNREACHABLE as error:
            raise self._unavailable(error) from error

    def _session(self, access_mode: str = neo4j.WRITE_ACCESS) -> neo4j.Session:
        """A session that shares `execute_query`'s bookmarks: a read routed to a secondary
        waits until that server has the writes made here before it (a migration, a bulk
        delete), and a later `execute_query` read waits for the session's own writes."""
        return self.driver.session(
            database=self.database,
            default_access_mode=access_mode,
            bookmark_manager=self.driver.execute_query_bookmark_manager,
        )

    @staticmethod
    def _unavailable(error: Exception) -> StoreUnavailable:
        """A line a person can read (the driver's text names internal addresses and
        classes); the driver's error stays chained for the log."""
        reason = (
            "still busy after its retries"
            if isinstance(error, TransientError)
            else ("not reachable")
        )
        return StoreUnavailable(f"Neo4j did not answer ({reason}); retry shortly")

    def iter_forest(self) -> Iterator[ForestRow]:
        # Streamed in one auto-commit read: the driver pulls records in batches.
        with self._session(neo4j.READ_ACCESS) as session:
            for record in session.run(self.queries["forest_rows"]):
                yield ForestRow(**record.data())

    def apply_migration(self, migration: Migration) -> None:
        # Auto-commit: a data migration over millions of nodes commits in batches with
        # `CALL { … } IN TRANSACTIONS`, which a managed transaction cannot run.
        with self._session() as session:
            for statement in migration.statements():
                session.run(statement).consume()

    def drop_everything(self) -> None:
        """Deletes every node and relationship (tests and `generate --reset` only)."""
        with self._session() as session:
            session.run(self.queries["delete_all_nodes"]).consume()

    def close(self) -> None:
        self.driver.close()
