"""Real engines for the tests: the embedded FalkorDB, and a Neo4j 5 from testcontainers where
a Docker engine answers, else the local Maven-built one (`scripts/neo4j-local`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def neo4j_url() -> str:
    """The Bolt URL of a running Neo4j 5, or a skip (a failure under REFGRAPH_REQUIRE_NEO4J=1)
    that says exactly why none could be had."""
    configured = os.environ.get("REFGRAPH_TEST_NEO4J_URL")
    if configured:
        return configured
    reasons = []
    try:
        return _testcontainers_neo4j()
    except Exception as error:  # no Docker engine is the usual case here
        reasons.append(f"testcontainers: {type(error).__name__}: {error}")
    try:
        local = subprocess.run(
            [str(ROOT / "scripts" / "neo4j-local"), "url"], capture_output=True, text=True
        )
    except OSError as error:
        reasons.append(f"scripts/neo4j-local: {error}")
    else:
        if local.returncode == 0 and local.stdout.strip():
            return local.stdout.strip().splitlines()[-1]
        reasons.append(
            "scripts/neo4j-local url: "
            + (local.stderr.strip() or local.stdout.strip() or "not running")
        )
    message = "no Neo4j 5 engine reachable; " + "; ".join(reasons)
    if os.environ.get("REFGRAPH_REQUIRE_NEO4J") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


_container = None


def _testcontainers_neo4j() -> str:
    global _container
    if _container is None:
        import docker

        docker.from_env().ping()  # raises at once where no Docker engine answers
        from testcontainers.neo4j import Neo4jContainer

        container = Neo4jContainer("neo4j:5.26-community").with_env("NEO4J_AUTH", "none")
        container.start()
        _container = container
    url: str = _container.get_connection_url()
    return url


def run_cypher(store: object, query: str, params: dict[str, object] | None = None) -> None:
    """Runs a statement around the store's catalogue: tests use it to tamper with the graph
    the way a bug or an operator could, and check that the service notices."""
    from app.store.coalescing import CoalescingStore
    from app.store.falkordb_store import FalkorDBStore
    from app.store.neo4j_store import Neo4jStore

    if isinstance(store, CoalescingStore):  # the API's stack: the engine is the one inside
        store = store.inner
    if isinstance(store, FalkorDBStore):
        store.graph.query(query, params or {})
    elif isinstance(store, Neo4jStore):
        store.driver.execute_query(query, params or {}, database_=store.database)
    else:
        raise TypeError(f"no raw access to {type(store).__name__}")
