"""The embedded engine's promises: one owner per folder, sharing for CLI commands, recovery
from a crashed owner or engine, nothing acknowledged lost, and a write log that a serving
owner's supervisor keeps folded into a snapshot (tests/api/test_engine_recovery.py: the
restart under a running service)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from app.core.errors import EngineBusy, StoreUnavailable
from app.domain.members import NewMemberRow
from app.domain.tiers import DEFAULT_LADDER
from app.services.generator import generate_network
from app.services.importer import import_members
from app.store.cypher_store import CypherStore
from app.store.embedded import EmbeddedEngine, EngineSupervisor
from app.store.factory import open_store, supervise
from tests.conftest import make_settings
from tests.engines import ROOT

OWNER_SCRIPT = """
import sys, time
from pathlib import Path
from app.store.embedded import EmbeddedEngine
EmbeddedEngine(Path(sys.argv[1])).open(exclusive=True)
print("owned", flush=True)
time.sleep(600)
"""


def open_embedded(data_dir: Path, *, exclusive: bool = True) -> CypherStore:
    return open_store(make_settings(graph_url=f"embedded:{data_dir}"), exclusive=exclusive)


def spawn_owner(data_dir: Path) -> subprocess.Popen[str]:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER_SCRIPT, str(data_dir)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert owner.stdout is not None and owner.stdout.readline().strip() == "owned"
    return owner


def row(member_id: str, inviter_id: str | None = None) -> NewMemberRow:
    return NewMemberRow(
        id=member_id, inviter_id=inviter_id, name=None, joined_at=1, attributes_json=None
    )


def run_verify(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REFGRAPH_GRAPH_URL": f"embedded:{data_dir}"}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "verify"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_a_live_owner_keeps_the_folder_and_commands_share_its_engine(data_dir: Path) -> None:
    owner = spawn_owner(data_dir)
    try:
        with pytest.raises(EngineBusy, match=f"in use by live process {owner.pid}"):
            open_embedded(data_dir)
        shared = open_embedded(data_dir, exclusive=False)
        assert shared.register_members([row("via-socket")], DEFAULT_LADDER) == ["via-socket"]
        shared.close()
        assert run_verify(data_dir).returncode == 0
    finally:
        owner.send_signal(signal.SIGTERM)
        owner.wait()
        open_embedded(data_dir).close()  # adopts the engine the owner left, and stops it


def test_kill_9_of_the_owner_leaves_an_engine_the_next_owner_adopts(data_dir: Path) -> None:
    owner = spawn_owner(data_dir)
    store = open_embedded(data_dir, exclusive=False)
    store.register_members([row("before-crash")], DEFAULT_LADDER)
    store.close()
    engine_pid = EmbeddedEngine(data_dir).engine_pid()
    owner.kill()
    owner.wait()
    adopted = open_embedded(data_dir)
    try:
        assert EmbeddedEngine(data_dir).engine_pid() == engine_pid
        assert [m.id for m in adopted.get_members(["before-crash"])] == ["before-crash"]
    finally:
        adopted.close()
    assert EmbeddedEngine(data_dir).engine_pid() is None  # stopped with its owner


@pytest.mark.slow
def test_kill_9_of_the_engine_during_writes_loses_nothing_acknowledged(data_dir: Path) -> None:
    store = open_embedded(data_dir)
    acknowledged: list[str] = []
    failures: list[Exception] = []

    def stream() -> None:
        count = 0
        while True:
            member_id = f"m{count}"
            inviter = f"m{(count - 1) // 3}" if count else None
            try:
                created = store.register_members([row(member_id, inviter)], DEFAULT_LADDER)
            except StoreUnavailable as error:
                failures.append(error)
                return
            acknowledged.extend(created)
            count += 1

    writer = threading.Thread(target=stream)
    writer.start()
    time.sleep(1.5)
    engine = EmbeddedEngine(data_dir)
    pid = engine.engine_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    writer.join(timeout=60)
    assert failures and len(acknowledged) > 50
    store.close()

    restarted = open_embedded(data_dir)
    try:
        present = {m.id for m in restarted.get_members(acknowledged)}
        assert present == set(acknowledged)
    finally:
        restarted.close()
    result = run_verify(data_dir)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_truncated_append_only_file_loses_only_its_torn_tail(data_dir: Path) -> None:
    store = open_embedded(data_dir)
    store.register_members([row("root")], DEFAULT_LADDER)
    for k in range(20):
        store.register_members([row(f"k{k}", "root")], DEFAULT_LADDER)
    store.close()
    [incr] = (data_dir / "appendonlydir").glob("*.incr.aof")
    with incr.open("r+b") as handle:
        handle.truncate(incr.stat().st_size - 7)
    reopened = open_embedded(data_dir)
    try:
        survivors = {m.id for m in reopened.get_members([f"k{k}" for k in range(20)])}
        assert survivors == {f"k{k}" for k in range(19)}
    finally:
        reopened.close()
    assert run_verify(data_dir).returncode == 0


def test_the_schema_and_an_import_are_folded_into_the_snapshot(
    data_dir: Path, tmp_path: Path
) -> None:
    """A start replays only what the snapshot lacks: the migrations' indexes are in it (so a
    replayed registration finds its inviter by index), and so is a whole import."""
    log_dir = data_dir / "appendonlydir"
    store = open_embedded(data_dir)
    try:
        assert incremental_log_bytes(log_dir) == 0  # migrations applied, then folded
        generate_network(members=500, out=tmp_path / "net.csv", seed=3)
        report = import_members(store=store, ladder=DEFAULT_LADDER, source=tmp_path / "net.csv")
        assert report.created == 500
        assert incremental_log_bytes(log_dir) == 0
        register(store, "after-import", "m1")
        assert incremental_log_bytes(log_dir) > 0
    finally:
        store.close()
    reopened = open_embedded(data_dir)
    try:
        assert reopened.member_count() == 501
        assert [m.inviter_id for m in reopened.get_members(["after-import"])] == ["m1"]
    finally:
        reopened.close()


def incremental_log_bytes(log_dir: Path) -> int:
    return sum(path.stat().st_size for path in log_dir.glob("*.incr.aof"))


def register(store: CypherStore, member_id: str, inviter_id: str) -> None:
    """Registers her as her inviter joins (no member joins before her inviter)."""
    [inviter] = store.get_members([inviter_id])
    row = NewMemberRow(
        id=member_id,
        inviter_id=inviter_id,
        name=None,
        joined_at=inviter.joined_at,
        attributes_json=None,
    )
    assert store.register_members([row], DEFAULT_LADDER) == [member_id]


def supervised(store: CypherStore, **settings: object) -> EngineSupervisor:
    """The supervisor the server runs, on the engine `store` owns, once it has looked."""
    values: dict[str, object] = {"engine_check_interval_s": 0.05, "compact_interval_s": 0}
    values.update(settings)
    supervision = supervise(store, make_settings(**values), on_recovered=lambda: None)
    assert isinstance(supervision, EngineSupervisor)
    wait_until(lambda: supervision.checks > 0)
    return supervision


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s"
        time.sleep(0.05)


def test_the_log_a_start_replays_is_folded_into_a_snapshot(data_dir: Path) -> None:
    log_dir = data_dir / "appendonlydir"
    store = open_embedded(data_dir)
    register_chain(store, "a", 30)
    store.close()
    assert incremental_log_bytes(log_dir) > 0  # what the next start replays
    store = open_embedded(data_dir)
    try:
        supervision = supervised(store, compact_log_mb=0)
        assert supervision.folds == 1
        wait_until(lambda: incremental_log_bytes(log_dir) == 0)
        supervision.stop()
        assert store.member_count() == 30
    finally:
        store.close()


def test_the_log_is_folded_once_it_passes_its_size_and_on_its_interval(data_dir: Path) -> None:
    log_dir = data_dir / "appendonlydir"
    store = open_embedded(data_dir)
    try:
        supervision = supervised(store, compact_log_mb=0.02)  # ~20 kB: a dozen writes
        assert supervision.folds == 0  # nothing logged since the migrations' snapshot
        register_chain(store, "s", 1)
        checks = supervision.checks
        wait_until(lambda: supervision.checks > checks + 3)
        assert supervision.folds == 0 and incremental_log_bytes(log_dir) > 0
        register_chain(store, "t", 30)
        wait_until(lambda: supervision.folds > 0)
        supervision.stop()

        supervision = supervised(store, compact_log_mb=0, compact_interval_s=0.3)
        wait_until(lambda: incremental_log_bytes(log_dir) == 0)
        register_chain(store, "u", 1)
        folds = supervision.folds
        wait_until(lambda: supervision.folds > folds)  # by the timer
        wait_until(lambda: incremental_log_bytes(log_dir) == 0)
        supervision.stop()
    finally:
        store.close()
    reopened = open_embedded(data_dir)
    try:
        assert reopened.member_count() == 32
    finally:
        reopened.close()


def test_a_stopped_owner_does_not_restart_its_engine(data_dir: Path) -> None:
    store = open_embedded(data_dir)
    supervision = supervised(store)
    store.close()  # stops the supervisor, then the engine
    time.sleep(0.3)  # several checks' time
    assert supervision.engine.engine_pid() is None and supervision.restarts == 0


def register_chain(store: CypherStore, prefix: str, count: int) -> None:
    rows = [row(f"{prefix}0")] + [row(f"{prefix}{k}", f"{prefix}{k - 1}") for k in range(1, count)]
    for one in rows:
        assert store.register_members([one], DEFAULT_LADDER) == [one.id]
