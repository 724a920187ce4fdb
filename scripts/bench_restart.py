"""Restart benchmark of the embedded engine: how long the service takes to answer again
after many API writes, when it starts cold (the engine stopped with it) and when its engine
is killed under it (kill -9) while it keeps running.

    .venv/bin/python scripts/bench_restart.py --writes 17000

It runs the real `refgraph serve` in a child process on a fresh data folder (the one
given with --data, or a temporary one), registers --writes members through the HTTP API
(--clients at a time, each under a random earlier member), stops the service with SIGTERM,
and times:
  first_start        serve on the empty folder until /readyz answers 200 (migrations)
  cold_restart       serve again on the written folder until /readyz answers 200
  again_restart      the same once more (after the start-up fold, if the service does one)
  engine_kill_heal_s kill -9 of the engine under a running service until /readyz answers
                     200 again (null when it did not within --heal-timeout)
and reports the append-only log's size (its snapshot base and the statements logged after
it) at each stop. Each start reports `ready_s` (process start to /readyz 200) and the
engine's own load times from its log (`engine_load_snapshot_s`, `engine_load_log_s`: the
statements logged after the snapshot, replayed one by one). Every figure is seconds of wall
time on this machine, one run each.
Settings reach the service through the environment as usual (REFGRAPH_COMPACT_LOG_MB, …)."""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-restart-admin"
HEADERS = {"Authorization": f"Bearer {KEY}"}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--writes", type=int, default=17_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--data", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--heal-timeout", type=float, default=120.0)
    parser.add_argument("--check", type=int, default=500, help="members read back after each start")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-restart-") as scratch:
        data = (args.data or Path(scratch) / "data").resolve()
        results: dict[str, Any] = {"writes": args.writes, "clients": args.clients}
        with serving(data) as (url, started):
            results["first_start"] = started
            began = time.perf_counter()
            written = register_members(url, args.writes, args.clients)
            results["writes_per_s"] = round(len(written) / (time.perf_counter() - began))
        results["log_after_writes"] = log_sizes(data)
        with serving(data) as (url, started):
            results["cold_restart"] = started
            check_members(url, written, args.check)
            wait_for_fold(data)
        results["log_after_cold_restart"] = log_sizes(data)
        with serving(data) as (url, started):
            results["again_restart"] = started
            results["engine_kill_heal_s"] = kill_engine_and_wait(data, url, args.heal_timeout)
            if results["engine_kill_heal_s"] is not None:
                check_members(url, written, args.check)
                new = register_members(url, 10, 1, prefix="after-heal-")
                results["writes_after_heal"] = len(new)
        print(json.dumps(results, indent=2))


@contextmanager
def serving(data: Path) -> Iterator[tuple[str, dict[str, float]]]:
    """Runs `refgraph serve` on `data`; yields its URL, the seconds until /readyz and the
    engine's load times."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "REFGRAPH_GRAPH_URL": f"embedded:{data}",
        "REFGRAPH_API_KEYS": f"{KEY}=admin",
        "REFGRAPH_RELEASE_INTERVAL_S": "0",
    }
    log_path = data.parent / "serve.log"
    log = log_path.open("ab")
    engine_log = data / "engine.log"
    engine_log_from = engine_log.stat().st_size if engine_log.exists() else 0
    began = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_ready(url, 1800.0, server):
            raise SystemExit(f"serve did not get ready:\n{log_path.read_text()[-3000:]}")
        ready_s = round(time.perf_counter() - began, 2)
        with engine_log.open("rb") as handle:
            handle.seek(engine_log_from)
            loaded = engine_load_times(handle.read().decode(errors="replace"))
        yield url, {"ready_s": ready_s, **loaded}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
        log.close()


def engine_load_times(engine_log: str) -> dict[str, float]:
    """What Redis logs as it loads: "DB loaded from base file …: 0.1 seconds" (the
    snapshot), "… from incr file …" (the logged statements, replayed one by one)."""
    times = {"engine_load_snapshot_s": 0.0, "engine_load_log_s": 0.0}
    for kind, seconds in re.findall(
        r"DB loaded from (base|incr) file \S+: ([\d.]+) seconds", engine_log
    ):
        key = "engine_load_snapshot_s" if kind == "base" else "engine_load_log_s"
        times[key] = round(times[key] + float(seconds), 2)
    return times


def wait_ready(url: str, timeout: float, server: subprocess.Popen[bytes] | None = None) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if server is not None and server.poll() is not None:
            return False
        try:
            if httpx.get(f"{url}/readyz", timeout=5.0).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    return False


def register_members(url: str, count: int, clients: int, prefix: str = "m") -> list[str]:
    """Registers `count` members, each under a random one written before her."""
    written: list[str] = []
    lock = threading.Lock()
    counter = iter(range(count))
    rng = random.Random(7)

    def client() -> None:
        with httpx.Client(base_url=url, headers=HEADERS, timeout=60.0) as http:
            for number in counter:
                member_id = f"{prefix}{number}"
                with lock:
                    inviter = rng.choice(written) if written else None
                body: dict[str, Any] = {"id": member_id, "inviter_id": inviter}
                response = http.post("/v1/members", json=body)
                response.raise_for_status()
                with lock:
                    written.append(member_id)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if len(written) != count:
        raise SystemExit(f"only {len(written)} of {count} registrations succeeded")
    return written


def check_members(url: str, written: list[str], sample: int) -> None:
    with httpx.Client(base_url=url, headers=HEADERS, timeout=60.0) as http:
        for member_id in random.Random(1).sample(written, min(sample, len(written))):
            response = http.get(f"/v1/members/{member_id}")
            if response.status_code != 200:
                raise SystemExit(f"{member_id} is missing after a restart: {response.text}")


def kill_engine_and_wait(data: Path, url: str, timeout: float) -> float | None:
    pid = int((data / "engine.pid").read_text())
    began = time.perf_counter()
    os.kill(pid, signal.SIGKILL)
    while httpx.get(f"{url}/readyz", timeout=5.0).status_code == 200:
        if time.perf_counter() - began > 5:
            raise SystemExit("the service still answered 5 s after its engine was killed")
        time.sleep(0.01)
    if not wait_ready(url, timeout):
        return None
    return round(time.perf_counter() - began, 2)


def wait_for_fold(data: Path, timeout: float = 30.0) -> None:
    """Gives a service that folds its log at start the time to finish (a no-op otherwise:
    the logged statements then stay as they are)."""
    before = log_sizes(data)["logged_bytes"]
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline and before:
        if log_sizes(data)["logged_bytes"] < before:
            return
        time.sleep(0.2)


def log_sizes(data: Path) -> dict[str, int]:
    folder = data / "appendonlydir"
    return {
        "snapshot_bytes": sum(p.stat().st_size for p in folder.glob("*.base.*")),
        "logged_bytes": sum(p.stat().st_size for p in folder.glob("*.incr.aof")),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


if __name__ == "__main__":
    main()
