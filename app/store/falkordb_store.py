"""The FalkorDB adapter: named queries through the `falkordb` client (never the Bolt port),
results reshaped into plain records."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import redis
from falkordb import FalkorDB, Graph, QueryResult

from app.core.errors import GdsUnavailable, InvalidInput, StoreUnavailable
from app.core.metrics import timed_query
from app.domain.lifecycle import Actor, StoredChange
from app.domain.payouts import PayoutCreate, PayoutItem, PayoutSkip
from app.domain.points import PointsEntry
from app.domain.referral_clicks import Click
from app.store.catalogue import Backend, QueryCatalogue
from app.store.cypher_store import CypherStore, Record
from app.store.embedded import DiskReserve, EmbeddedEngine, request_rewrite
from app.store.port import ForestRow, Migration
from app.store.read_routing import replica_may_answer_now

FOREST_PAGE = 20_000
# Schema errors that mean "already done": a migration re-applied after a crash between
# applying it and recording it.
COMPACT_TIMEOUT_S = 600
ALREADY_DONE = ("already indexed", "already exists", "constraint already")
# The reads a replica serves when REFGRAPH_READ_URL names one: the storefront's and the
# reports' reads, which no write path makes before it writes. Every other read stays on the
# primary, because a write decides on it and must see the latest writes (her own included):
# a registration reads the member it just wrote and its inviter (get_members), an order its
# buyer's context and purchase state, a refund its order and entries, a paid bonus the
# inviter's history and the bonuses written, the releaser, jobs, migrations, plans, and
# audit/verify compare the ledger and the counters against the very latest state. A query
# not named here is such a fresh read until someone shows no write path depends on it.
REPLICA_READS = frozenset(
    {
        "tier_status",
        "tier_changes_until",
        "paid_direct_invites_at",
        "tier_history",
        "upline",
        "downline_by_traversal",
        "tree_children",
        "group_members_page",
        "group_memberships",
        "earnings_by_day",
        "ledger_entry",
        "ledger_page_by_event",
        "ledger_page_by_write",
        "ledger_page_of_beneficiary",
        "ledger_page_of_order",
        "invitation_edges",
        "analytics_cohort_members",
        "analytics_net_sales",
        "compliance_entries_beyond_hop",
        "compliance_largest_subtrees",
        "compliance_ledger_summary",
        "compliance_members_by_depth",
        "compliance_self_dealing_entries",
        "simulation_allowance_paid",
        "simulation_move_sample",
        "simulation_period_orders",
        "simulation_tier_groups",
        "simulation_trainers",
        "connector_run",
        "connector_parts_of",
        "connector_circle_members",
    }
)
log = logging.getLogger("refgraph.store")


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
        *,
        replica: FalkorDB | None = None,
        wait_for_replica_ms: int | None = None,
        disk: DiskReserve | None = None,
    ) -> None:
        """`replica`: serves the REPLICA_READS. `wait_for_replica_ms`: each write returns
        once the replica has it (or this many ms passed), so a later read sees it. `disk`:
        an embedded data folder's write reserve (owner or not): writes are refused while it
        is short."""
        super().__init__(catalogue)
        self.client = client
        self.graph_name = graph_name
        self.graph = client.select_graph(graph_name)
        self.engine = engine
        self.disk = disk
        self.replica = replica
        self.replica_graph = replica.select_graph(graph_name) if replica is not None else None
        self.wait_for_replica_ms = wait_for_replica_ms if replica is not None else None
        self._replica_lagging = False  # logged once when it starts, not per write
        # FalkorDB evaluates a write statement's reads before it takes the graph's write
        # lock, so two adds (or removes) of one pair in flight can both find no edge and
        # both count her (seen in CI, 8 threads). Membership writes from this process go
        # one at a time; they are rare and small.
        self._membership_writes = threading.Lock()
        # Member lifecycle changes (edit, erasure, sponsor move) go one at a time for the
        # same reason.
        self._lifecycle_writes = threading.Lock()
        # Payout writes read the claims they change (an entry free to claim, an item open):
        # they go one at a time for the same reason.
        self._payout_writes = threading.Lock()
        # Points grants and redemptions go one at a time for the same reason.
        self._points_writes = threading.Lock()

    def edit_member(
        self,
        member_id: str,
        rev: int,
        name: str | None,
        attributes_json: str | None,
        name_key: str | None,
        change: StoredChange,
    ) -> bool:
        # Its `rev` check is such a read: two edits read at one rev must not both write.
        with self._lifecycle_writes:
            return super().edit_member(member_id, rev, name, attributes_json, name_key, change)

    def erase_member(self, member_id: str, change: StoredChange) -> bool:
        with self._lifecycle_writes:
            return super().erase_member(member_id, change)

    def set_member_status(self, member_id: str, rev: int, change: StoredChange) -> bool:
        with self._lifecycle_writes:
            return super().set_member_status(member_id, rev, change)

    def set_member_hold(
        self, member_id: str, rev: int, hold_reason: str | None, change: StoredChange
    ) -> bool:
        with self._lifecycle_writes:
            return super().set_member_hold(member_id, rev, hold_reason, change)

    def move_sponsor(
        self, member_id: str, rev: int, inviter_id: str, effective_at: int, change: StoredChange
    ) -> bool:
        with self._lifecycle_writes:
            return super().move_sponsor(member_id, rev, inviter_id, effective_at, change)

    def undo_paid(self, member_id: str, rev: int, undone_at: int, change: StoredChange) -> bool:
        with self._lifecycle_writes:
            return super().undo_paid(member_id, rev, undone_at, change)

    def issue_referral_code(self, member_id: str, seq: int, code: str, now: int) -> bool:
        with self._lifecycle_writes:
            return super().issue_referral_code(member_id, seq, code, now)

    def record_click(self, code: str, click_id: str, at: int) -> Click | None:
        # A click sent twice at once: both would find no click and create one.
        with self._lifecycle_writes:
            return super().record_click(code, click_id, at)

    def create_payout(
        self,
        create: PayoutCreate,
        items: Sequence[PayoutItem],
        skipped: Sequence[PayoutSkip],
        actor: Actor,
        now: int,
    ) -> bool:
        with self._payout_writes:
            return super().create_payout(create, items, skipped, actor, now)

    def move_payout(
        self, payout_id: str, action: str, from_: str, to: str, actor: Actor, now: int
    ) -> bool:
        with self._payout_writes:
            return super().move_payout(payout_id, action, from_, to, actor, now)

    def settle_payout_item(
        self,
        payout_id: str,
        member_id: str,
        *,
        paid: bool,
        reference: str | None,
        reason: str | None,
        at: int,
        actor: Actor,
        now: int,
    ) -> bool:
        with self._payout_writes:
            return super().settle_payout_item(
                payout_id,
                member_id,
                paid=paid,
                reference=reference,
                reason=reason,
                at=at,
                actor=actor,
                now=now,
            )

    def record_points_grant(self, entry: PointsEntry) -> tuple[PointsEntry, bool] | None:
        # Two grants of one action at once would both find none and both create one.
        with self._points_writes:
            return super().record_points_grant(entry)

    def record_redemption(self, entry: PointsEntry, *, expected_seq: int) -> bool:
        # Its sequence check is a read taken before the write lock: two redemptions read at
        # one sequence must not both spend the same points.
        with self._points_writes:
            return super().record_redemption(entry, expected_seq=expected_seq)

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
        if self.replica_graph is not None and (name in REPLICA_READS or replica_may_answer_now()):
            try:
                return self._run(name, params, read_only=True, graph=self.replica_graph)
            except redis.ConnectionError:
                pass  # a replica down or resyncing: the primary answers
            except StoreQueryError as error:
                # A replica told not to serve stale data while its primary is away.
                if "MASTERDOWN" not in str(error):
                    raise
        return self._run(name, params, read_only=True)

    def _write(self, name: str, params: Record) -> list[Record]:
        self._refuse_when_disk_full()
        return self._run(name, params, read_only=False)

    def _refuse_when_disk_full(self) -> None:
        if self.disk is not None and (refusal := self.disk.refusal()) is not None:
            raise StoreUnavailable(refusal)

    def _run(
        self, name: str, params: Record, *, read_only: bool, graph: Graph | None = None
    ) -> list[Record]:
        query = self.queries[name]
        if _holds_nul(params):
            # The client sends parameters in a text header that a NUL would cut short.
            raise InvalidInput("text sent to the graph may not contain a NUL character")
        on_replica = graph is not None
        try:
            with timed_query(name, self.backend.value):
                if graph is not None:
                    result = graph.ro_query(query, params)
                elif read_only:
                    result = self.graph.ro_query(query, params)
                elif self.wait_for_replica_ms is not None:
                    result = self._query_and_wait(query, params, self.wait_for_replica_ms)
                else:
                    result = self.graph.query(query, params)
        except redis.ConnectionError as error:  # also "loading": a restarted engine replaying
            if on_replica:
                raise  # the caller falls back to the primary
            raise self._unavailable(error) from error
        except redis.ResponseError as error:
            if _refuses_writes(error):
                # An engine that cannot persist (appendfsync everysec or no on a full disk, a
                # FalkorDB server's failing snapshot) refuses every write-mode query until it
                # can again, and serves read-only ones meanwhile.
                raise StoreUnavailable(
                    f"the graph engine refuses writes until it can persist them again: {error}"
                ) from error
            raise StoreQueryError(f"query {name!r} failed on FalkorDB: {error}") from error
        columns = [column[1] for column in result.header]
        return [dict(zip(columns, _plain(row), strict=True)) for row in result.result_set]

    def _query_and_wait(self, query: str, params: Record, wait_ms: int) -> QueryResult:
        """The write, then Redis' `WAIT 1` on the same connection (WAIT counts the replicas
        that acknowledged this connection's writes): one round trip, in a pipeline."""
        header: str = self.graph._build_params_header(params)  # the client's own encoding
        pipe = self.client.connection.pipeline(transaction=False)
        pipe.execute_command("GRAPH.QUERY", self.graph_name, header + query, "--compact")
        pipe.execute_command("WAIT", 1, wait_ms)
        response, acknowledged = pipe.execute()
        lagging = int(acknowledged) < 1
        if lagging and not self._replica_lagging:
            log.warning(
                "the read replica did not acknowledge a write within %d ms; its reads may "
                "trail the primary until it catches up",
                wait_ms,
            )
        self._replica_lagging = lagging
        return QueryResult(self.graph, response)

    def _unavailable(self, error: redis.ConnectionError) -> StoreUnavailable:
        if self.engine is None:
            return StoreUnavailable(f"the FalkorDB engine did not answer: {error}")
        # Our own engine: a serving owner's supervisor restarts it and logs that (one line,
        # not one per failed call); the detail leaves out the socket's path.
        self.engine.notice_trouble()
        if self.disk is not None and (refusal := self.disk.refusal()) is not None:
            return StoreUnavailable(refusal)  # it exited on an append the disk had no room for
        if self.engine.supervised:
            return StoreUnavailable("the embedded graph engine is restarting; retry shortly")
        return StoreUnavailable(f"the embedded graph engine did not answer: {error}")

    def ping(self) -> None:
        if self.engine is not None and self.engine.recovering:
            # It may answer already, but the start-up repairs have not run yet.
            raise StoreUnavailable("the embedded graph engine is restarting; retry shortly")
        # A write-mode query creates the graph's key: read-only queries on a graph that has
        # never been written fail with "empty key". It logs nothing, so the write reserve
        # does not stop it. An engine that cannot persist refuses it all the same (MISCONF)
        # while it serves reads: then the ping is read-only (the graph was written, or the
        # engine would have nothing to persist), and the service stays ready for reads.
        try:
            self._run("ping", {}, read_only=False)
        except StoreUnavailable as error:
            if not _refuses_writes(error.__cause__):
                raise
            self._run("ping", {}, read_only=True)

    def iter_forest(self) -> Iterator[ForestRow]:
        ceiling = self._read("node_id_ceiling", {})[0]["ceiling"]
        for start in range(0, ceiling, FOREST_PAGE):
            page = self._read("forest_rows", {"from_node": start, "to_node": start + FOREST_PAGE})
            yield from (ForestRow(**record) for record in page)

    def apply_migration(self, migration: Migration) -> None:
        self._refuse_when_disk_full()
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
        if self.replica is not None:
            self.replica.connection.close()
        if self.engine is not None:
            self.engine.stop()


def _refuses_writes(error: BaseException | None) -> bool:
    """The engine's answer to any write-mode query while it cannot persist."""
    return isinstance(error, redis.ResponseError) and str(error).startswith("MISCONF")


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
