"""`refgraph backup` and `refgraph restore` as an operator runs them: a backup taken while the
service serves writes from several clients holds every write acknowledged before it began,
and restores into an empty folder that `verify` and `audit` pass; a damaged file or a
non-empty folder is refused."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest
from falkordb import FalkorDB

from app.domain.tiers import DEFAULT_LADDER
from app.store.backup import MAGIC
from app.store.embedded import EmbeddedEngine
from tests.engines import ROOT
from tests.store.test_embedded import open_embedded, row
from tests.test_cli import free_port, wait_ready

ADMIN_KEY = "backup-test-admin-key"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
SEED_PLAN = json.loads((ROOT / "examples" / "seed-plan.json").read_text())
DAY_MS = 86_400_000
WRITERS = 4


def run(*args: str, data_dir: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REFGRAPH_GRAPH_URL": f"embedded:{data_dir}", "COLUMNS": "300"}
    env.pop("REFGRAPH_API_KEYS", None)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        cwd=ROOT,
        text=True,
        capture_output=True,
        timeout=timeout,
    )


def graph_ids(data_dir: Path, label: str) -> set[str]:
    """The ids of every `label` node in the folder's graph (through its engine, opened here
    when no service owns the folder)."""
    engine = EmbeddedEngine(data_dir)
    engine.open(exclusive=False)
    try:
        graph = FalkorDB(unix_socket_path=engine.client_socket()).select_graph("refgraph")
        rows = graph.ro_query(f"MATCH (n:{label}) RETURN n.id").result_set
        return {found[0] for found in rows}
    finally:
        engine.stop()


class Writers:
    """Clients registering members (each invited by a member already acknowledged) and
    posting orders for them, each write stamped with the moment its answer arrived."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acknowledged: list[tuple[float, str, str]] = []  # (when, "Member"|"Order", id)
        self.failures: list[str] = []
        self.threads = [
            threading.Thread(target=self._write, args=(n,), daemon=True) for n in range(WRITERS)
        ]

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)

    def before(self, moment: float, kind: str) -> set[str]:
        with self.lock:
            return {key for when, what, key in self.acknowledged if what == kind and when < moment}

    def after(self, moment: float) -> int:
        with self.lock:
            return sum(1 for when, _, _ in self.acknowledged if when >= moment)

    def _write(self, n: int) -> None:
        rng = random.Random(n)
        mine: list[str] = []
        with httpx.Client(base_url=self.base, headers=ADMIN, timeout=60) as client:
            i = 0
            while not self.stop.is_set():
                i += 1
                member = f"w{n}-{i}"
                inviter = rng.choice(mine) if mine and rng.random() < 0.8 else None
                body = {"id": member, "inviter_id": inviter, "joined_at": 1000}
                self._send(client, "Member", member, "/v1/members", body)
                mine.append(member)
                if rng.random() < 0.5:
                    order = f"o{n}-{i}"
                    self._send(client, "Order", order, "/v1/orders", {
                        "id": order, "buyer_id": rng.choice(mine), "amount": 10_000,
                        "currency": "CNY", "placed_at": SEED_PLAN["effective_from"] + DAY_MS,
                    })  # fmt: skip

    def _send(
        self, client: httpx.Client, kind: str, key: str, path: str, body: Mapping[str, object]
    ) -> None:
        answer = client.post(path, json=body)
        if answer.status_code != 201:
            with self.lock:
                self.failures.append(f"{path} {key}: {answer.status_code} {answer.text}")
            self.stop.set()
            return
        with self.lock:
            self.acknowledged.append((time.monotonic(), kind, key))


@pytest.mark.slow
def test_a_backup_under_write_load_restores_every_write_acknowledged_before_it(
    tmp_path: Path,
) -> None:
    source, restored, file = tmp_path / "data", tmp_path / "restored", tmp_path / "graph.backup"
    port = free_port()
    env = {
        **os.environ,
        "REFGRAPH_GRAPH_URL": f"embedded:{source}",
        "REFGRAPH_API_KEYS": f"{ADMIN_KEY}=admin",
        # The write log folded into a snapshot every few writes: a backup may meet a fold.
        "REFGRAPH_COMPACT_LOG_MB": "0.05",
        # Writers at full speed: the load is the point, not the rate limit.
        "REFGRAPH_RATE_LIMITS": "reads=0,writes=0,jobs=0",
        "REFGRAPH_ENGINE_CHECK_INTERVAL_S": "0.2",
    }
    with (tmp_path / "serve.log").open("w") as serve_log:
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            text=True,
            stdout=serve_log,
            stderr=serve_log,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, timeout=120)
        put = httpx.put(f"{base}/v1/plans/{SEED_PLAN['version']}", json=SEED_PLAN, headers=ADMIN)
        assert put.status_code == 201, put.text
        with Writers(base) as writers:
            deadline = time.monotonic() + 120
            while writers.count() < 60 and not writers.failures:
                assert time.monotonic() < deadline, "the writers did not get going"
                time.sleep(0.05)
            began = time.monotonic()
            backup = run("backup", str(file), data_dir=source)
            ended = time.monotonic()
            while writers.after(ended) < 10 and not writers.failures:  # still writing after it
                assert time.monotonic() < deadline + 120
                time.sleep(0.05)
        assert not writers.failures, writers.failures
        assert backup.returncode == 0, backup.stderr
        assert "graph refgraph:" in backup.stdout and "backed up 1 graphs" in backup.stderr
        members_before = writers.before(began, "Member")
        orders_before = writers.before(began, "Order")
        assert len(members_before) >= 40 and orders_before
        assert writers.after(began) > writers.after(ended), "no write while the backup ran"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
    assert file.read_bytes().startswith(MAGIC)

    restore = run("restore", str(file), data_dir=restored)
    assert restore.returncode == 0, restore.stderr
    verify = run("verify", data_dir=restored)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    audit = run("audit", data_dir=restored)
    assert audit.returncode == 0, audit.stdout + audit.stderr

    members, orders = graph_ids(restored, "Member"), graph_ids(restored, "Order")
    assert members_before <= members, sorted(members_before - members)
    assert orders_before <= orders, sorted(orders_before - orders)
    # Nothing in it that the service did not write: it is the served graph at one instant.
    assert members <= graph_ids(source, "Member") and orders <= graph_ids(source, "Order")


def small_folder(data_dir: Path, members: int = 5) -> None:
    store = open_embedded(data_dir)
    try:
        store.register_members([row(f"m{i}") for i in range(members)], DEFAULT_LADDER)
    finally:
        store.close()  # the engine stops with it: the folder is left unserved


def test_a_backup_without_a_running_engine_restores_and_refuses_to_overwrite(
    tmp_path: Path,
) -> None:
    source, file = tmp_path / "data", tmp_path / "graph.backup"
    small_folder(source)
    assert EmbeddedEngine(source).engine_pid() is None
    first = run("backup", str(file), data_dir=source)
    assert first.returncode == 0, first.stderr
    assert "graph refgraph:" in first.stdout
    assert EmbeddedEngine(source).engine_pid() is None  # the engine it started is stopped
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["data", "graph.backup"]
    saved = file.read_bytes()

    again = run("backup", str(file), data_dir=source)
    assert again.returncode == 2 and "already exists; pass --force" in again.stderr
    assert file.read_bytes() == saved
    forced = run("backup", "--force", str(file), data_dir=source)
    assert forced.returncode == 0, forced.stderr

    restored = tmp_path / "restored"
    restore = run("restore", str(file), data_dir=restored)
    assert restore.returncode == 0, restore.stderr
    assert graph_ids(restored, "Member") == {f"m{i}" for i in range(5)}
    verify = run("verify", data_dir=restored)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_restore_refuses_a_non_empty_folder_and_a_damaged_file(tmp_path: Path) -> None:
    source, file = tmp_path / "data", tmp_path / "graph.backup"
    small_folder(source, members=3)
    assert run("backup", str(file), data_dir=source).returncode == 0

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    refused = run("restore", str(file), data_dir=busy)
    assert refused.returncode == 2
    assert "is not empty" in refused.stderr and "Traceback" not in refused.stderr
    assert [entry.name for entry in busy.iterdir()] == ["keep.txt"]
    # Nor is a data folder in use.
    assert run("restore", str(file), data_dir=source).returncode == 2

    data = bytearray(file.read_bytes())
    for offset, name in ((len(data) // 2, "payload"), (len(MAGIC) + 30, "header")):
        damaged = tmp_path / f"damaged-{name}.backup"
        flipped = bytearray(data)
        flipped[offset] ^= 0x01
        damaged.write_bytes(bytes(flipped))
        target = tmp_path / f"restored-{name}"
        result = run("restore", str(damaged), data_dir=target)
        assert result.returncode == 2, result.stderr
        assert "damaged" in result.stderr and "Traceback" not in result.stderr
        assert not target.exists()  # refused before the folder was made

    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(bytes(data[: len(data) - 100]))
    result = run("restore", str(truncated), data_dir=tmp_path / "restored-truncated")
    assert result.returncode == 2 and "Traceback" not in result.stderr

    empty = tmp_path / "empty"
    empty.mkdir()
    ok = run("restore", str(file), data_dir=empty)
    assert ok.returncode == 0, ok.stderr
    assert graph_ids(empty, "Member") == {"m0", "m1", "m2"}
