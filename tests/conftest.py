"""Fixtures shared by every test. `store` runs each test on both backends, each test on an
empty graph: FalkorDB gives each test its own graph; Neo4j (one database) is emptied."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from falkordb import FalkorDB
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.core.config import Settings
from app.domain.rate_limits import NO_LIMITS
from app.store.catalogue import Backend, QueryCatalogue
from app.store.coalescing import CoalescingStore
from app.store.cypher_store import CypherStore
from app.store.embedded import EmbeddedEngine
from app.store.falkordb_store import FalkorDBStore
from app.store.migrations import apply_migrations
from app.store.neo4j_store import Neo4jStore
from tests.engines import ROOT, neo4j_url

ROLE_KEYS = {
    "admin": "test-admin-key",
    "storefront": "test-storefront-key",
    "growth": "test-growth-key",
    "auditor": "test-auditor-key",
}


@pytest.fixture(scope="session")
def embedded_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedEngine]:
    engine = EmbeddedEngine(tmp_path_factory.mktemp("embedded"))
    engine.open(exclusive=True)
    yield engine
    engine.stop()


@pytest.fixture(scope="session")
def neo4j_bolt_url() -> str:
    return neo4j_url()


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "graph_url": "embedded:/nonexistent",
        "api_keys": {key: role for role, key in ROLE_KEYS.items()},
        "cypher_dir": ROOT / "cypher",
        "migrations_dir": ROOT / "migrations",
        # No releaser on the real clock inside tests that did not ask for one: a test that
        # wants one sets its interval (tests/services/test_release_races.py).
        "release_interval_s": 0,
        # No webhook worker either: a test drives one round at a time
        # (tests/services/test_webhook_delivery.py) or sets the interval.
        "webhook_interval_s": 0,
        # Boards computed on every ask: a test compares each with the data it just wrote
        # (tests/services/test_leaderboards.py holds the cache to its time).
        "leaderboard_ttl_s": 0,
        # No rate limits: tests send bursts on purpose (eight concurrent job starts, a
        # job polled every 50 ms); tests/api/test_rate_limits.py sets its own.
        "rate_limits": NO_LIMITS,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(params=[Backend.FALKORDB, Backend.NEO4J], ids=["falkordb", "neo4j"])
def backend(request: pytest.FixtureRequest) -> Backend:
    backend: Backend = request.param
    return backend


@pytest.fixture
def store(request: pytest.FixtureRequest, backend: Backend) -> Iterator[CypherStore]:
    opened = open_test_store(request, backend)
    yield opened
    drop_test_store(opened)


def open_test_store(request: pytest.FixtureRequest, backend: Backend) -> CypherStore:
    catalogue = QueryCatalogue(ROOT / "cypher", backend)
    opened: CypherStore
    if backend is Backend.FALKORDB:
        engine: EmbeddedEngine = request.getfixturevalue("embedded_engine")
        client = FalkorDB(unix_socket_path=engine.client_socket())
        opened = FalkorDBStore(client, f"test_{uuid.uuid4().hex[:12]}", catalogue)
    else:
        url: str = request.getfixturevalue("neo4j_bolt_url")
        opened = Neo4jStore.connect(url, None, None, catalogue)
        opened.drop_everything()
    opened.ping()
    apply_migrations(opened, ROOT / "migrations")
    return opened


def drop_test_store(opened: CypherStore) -> None:
    if isinstance(opened, FalkorDBStore):
        opened.drop_everything()
    opened.close()


@contextmanager
def api_stack(inner: CypherStore) -> Iterator[CoalescingStore]:
    """The store stack the API serves from (app/api/main.py): writes group-committed, every
    other call the backend's own."""
    grouped = CoalescingStore(inner)
    try:
        yield grouped
    finally:
        grouped.stop()


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
def client(store: CypherStore, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store=store)) as test_client:
        yield test_client


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {ROLE_KEYS[role]}"}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
