"""Opens the store that REFGRAPH_GRAPH_URL names:
`embedded:PATH` (the default), `falkordb://[:password@]host:port`, or
`neo4j://…` / `neo4j+s://…` / `bolt://…` / `bolt+s://…`; and the FalkorDB replica that
REFGRAPH_READ_URL names for reads (`falkordb://host:port`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

from falkordb import FalkorDB

from app.core.config import Settings
from app.core.errors import InvalidInput
from app.store.catalogue import Backend, QueryCatalogue
from app.store.cypher_store import CypherStore
from app.store.embedded import MIB, EmbeddedEngine
from app.store.falkordb_store import FalkorDBStore
from app.store.migrations import apply_migrations
from app.store.neo4j_store import Neo4jStore

REPLICA_CONNECT_TIMEOUT_S = 2.0
NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")


def backend_of(url: str) -> Backend:
    scheme = url.split(":", 1)[0]
    if scheme in ("embedded", "falkordb"):
        return Backend.FALKORDB
    if scheme in NEO4J_SCHEMES:
        return Backend.NEO4J
    raise InvalidInput(
        f"REFGRAPH_GRAPH_URL {scheme!r} is not a known scheme; use embedded:PATH, "
        "falkordb://host:port, neo4j://host:port or bolt://host:port"
    )


def open_store(settings: Settings, *, exclusive: bool = False, migrate: bool = True) -> CypherStore:
    """`exclusive`: the caller must own an embedded folder (the server); other commands share
    a running server's engine through its socket."""
    url = settings.graph_url
    backend = backend_of(url)
    catalogue = QueryCatalogue(settings.cypher_dir, backend)
    store: CypherStore
    replica = _replica_client(settings, backend)
    if url.startswith("embedded:"):
        engine = EmbeddedEngine(
            Path(url.removeprefix("embedded:")),
            settings.embedded_appendfsync,
            disk_reserve_bytes=int(settings.embedded_disk_reserve_mb * MIB),
        )
        engine.open(exclusive=exclusive)
        engine.warm_up(settings.graph_name)
        client = FalkorDB(unix_socket_path=engine.client_socket())
        store = FalkorDBStore(
            client,
            settings.graph_name,
            catalogue,
            engine if engine.owned else None,
            disk=engine.disk,
        )
    elif backend is Backend.FALKORDB:
        client = _falkordb_client(url)
        store = FalkorDBStore(
            client,
            settings.graph_name,
            catalogue,
            replica=replica,
            wait_for_replica_ms=(
                settings.read_wait_ms if settings.read_after_write == "wait" else None
            ),
        )
    else:
        parts = urlsplit(url)
        user = unquote(parts.username) if parts.username else settings.neo4j_user
        password = (
            unquote(parts.password)
            if parts.password
            else (settings.neo4j_password.get_secret_value() if settings.neo4j_password else None)
        )
        database = parts.path.strip("/") or settings.neo4j_database
        bare = urlunsplit((parts.scheme, f"{parts.hostname}:{parts.port or 7687}", "", "", ""))
        auth = (user or "neo4j", password) if password else None
        store = Neo4jStore.connect(bare, auth, database, catalogue)
    try:
        store.ping()
        if migrate:
            apply_migrations(store, settings.migrations_dir)
    except BaseException:
        store.close()
        raise
    return store


def _falkordb_client(url: str, connect_timeout_s: float | None = None) -> FalkorDB:
    parts = urlsplit(url)
    return FalkorDB(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 6379,
        password=unquote(parts.password) if parts.password else None,
        socket_connect_timeout=connect_timeout_s,
    )


def _replica_client(settings: Settings, backend: Backend) -> FalkorDB | None:
    """The client of the read replica, if one is named. Only a FalkorDB server can have one
    here: the embedded engine listens on no TCP port a replica could follow, and a Neo4j
    cluster routes reads to its secondaries itself (the neo4j:// scheme)."""
    url = settings.read_url
    if not url:
        return None
    if backend is Backend.NEO4J:
        raise InvalidInput(
            "REFGRAPH_READ_URL names a FalkorDB replica; a Neo4j cluster routes reads to its "
            "secondaries itself: give REFGRAPH_GRAPH_URL as neo4j://host:port",
            field="read_url",
        )
    if not settings.graph_url.startswith("falkordb:"):
        raise InvalidInput(
            "REFGRAPH_READ_URL needs REFGRAPH_GRAPH_URL=falkordb://host:port: the embedded "
            "engine listens on no TCP port a replica could follow",
            field="read_url",
        )
    if not url.startswith("falkordb:"):
        raise InvalidInput(
            f"REFGRAPH_READ_URL {url.split(':', 1)[0]!r} is not falkordb://host:port",
            field="read_url",
        )
    # A replica host that drops packets must not hold each read for the OS's connect timeout
    # before it falls back to the primary.
    return _falkordb_client(url, connect_timeout_s=REPLICA_CONNECT_TIMEOUT_S)


class Supervision(Protocol):
    def stop(self) -> None: ...


class _Unsupervised:
    """Neo4j and a FalkorDB server: the driver and the client reconnect by themselves once
    the server is back, and an unreachable one answers 503 meanwhile."""

    def stop(self) -> None:
        return None


def supervise(
    store: CypherStore, settings: Settings, *, on_recovered: Callable[[], None]
) -> Supervision:
    """Keeps the embedded engine this process owns alive (restarted after a crash, then
    `on_recovered`, the start-up repairs, runs) and its write log folded into a snapshot
    (app/store/embedded.py `EngineSupervisor`). Nothing to do for other stores. The callback
    keeps the store layer from knowing the services."""
    if not isinstance(store, FalkorDBStore) or store.engine is None:
        return _Unsupervised()
    return store.engine.supervise(
        store.graph_name,
        check_interval_s=settings.engine_check_interval_s,
        compact_interval_s=settings.compact_interval_s,
        compact_log_bytes=int(settings.compact_log_mb * 1024 * 1024),
        on_recovered=[on_recovered],
    )
