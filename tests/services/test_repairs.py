"""Repairs that do not wait for a person: a paid mark whose paid-trigger bonus a crash lost
gets its bonus when the service starts, also on an embedded engine it adopts from a killed
owner, and `refgraph audit` then finds nothing wrong."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.api.main import create_app
from app.core.config import Settings
from app.domain.members import PaidRow
from app.domain.tiers import DEFAULT_LADDER
from app.services.audit import audit_ledger
from app.services.plans import load_plan
from app.services.repairs import RepairReport, run_startup_repairs
from app.store.cypher_store import CypherStore
from app.store.embedded import EmbeddedEngine
from tests.conftest import make_settings
from tests.services.test_orders import JAN, NOW, chain, plan
from tests.services.test_paid_bonuses import PAID_TRIGGER
from tests.store.test_embedded import open_embedded, spawn_owner


def paid_without_bonus(store: CypherStore) -> None:
    """The state a crash between a paid mark and its bonus leaves: kid paid, mum unpaid."""
    chain(store, "mum", "kid")
    load_plan(store=store, ladder=DEFAULT_LADDER, plan=plan(rules=PAID_TRIGGER), now=NOW)
    assert store.mark_paid([PaidRow(id="kid", paid_at=JAN)], DEFAULT_LADDER) == ["kid"]
    assert store.paid_bonus_entries() == []


def assert_bonus_paid(store: CypherStore) -> None:
    assert [(e.id, e.beneficiary_id, e.amount) for e in store.paid_bonus_entries()] == [
        ("p:kid", "mum", 1500)
    ]
    assert audit_ledger(store=store, ladder=DEFAULT_LADDER).differences == []


def test_the_service_writes_a_lost_bonus_before_it_serves(
    store: CypherStore, settings: Settings
) -> None:
    paid_without_bonus(store)
    with TestClient(create_app(settings, store=store)):
        assert_bonus_paid(store)


def test_the_repairs_write_what_is_missing_once(store: CypherStore) -> None:
    paid_without_bonus(store)
    first = run_startup_repairs(store=store, ladder=DEFAULT_LADDER, now=NOW)
    again = run_startup_repairs(store=store, ladder=DEFAULT_LADDER, now=NOW)
    assert (first, again) == (RepairReport(paid_bonuses_written=1), RepairReport())
    assert_bonus_paid(store)


def test_an_engine_adopted_from_a_killed_owner_is_repaired_before_serving(
    data_dir: Path,
) -> None:
    owner = spawn_owner(data_dir)
    shared = open_embedded(data_dir, exclusive=False)
    try:
        paid_without_bonus(shared)
    finally:
        shared.close()
    engine_pid = EmbeddedEngine(data_dir).engine_pid()
    owner.kill()  # kill -9 of the service: its engine keeps running
    owner.wait()
    app = create_app(make_settings(graph_url=f"embedded:{data_dir}"))
    with TestClient(app):
        assert EmbeddedEngine(data_dir).engine_pid() == engine_pid  # adopted, not restarted
        assert_bonus_paid(app.state.store)
