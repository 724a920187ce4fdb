"""The `refgraph` command as a user runs it: in its own process, against its own folder."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.store.embedded import EmbeddedEngine
from tests.engines import ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def refgraph(*args: str, data_dir: Path, **popen: object) -> subprocess.Popen[str]:
    env = {**os.environ, "REFGRAPH_GRAPH_URL": f"embedded:{data_dir}"}
    env.pop("REFGRAPH_API_KEYS", None)
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "app.cli", *args], env=env, cwd=ROOT, text=True, **popen
    )


def test_serve_demo_answers_with_its_printed_keys_and_stops_its_engine(data_dir: Path) -> None:
    port = free_port()
    server = refgraph(
        "serve", "--demo", "--port", str(port), data_dir=data_dir, stderr=subprocess.PIPE
    )
    assert server.stderr is not None
    keys: dict[str, str] = {}
    deadline = time.monotonic() + 120
    while len(keys) < 4 and time.monotonic() < deadline:
        line = server.stderr.readline()
        if found := re.match(r"(\w+)\s+Authorization: Bearer (\S+)", line):
            keys[found[1]] = found[2]
    assert set(keys) == {"admin", "storefront", "growth", "auditor"}
    base = f"http://127.0.0.1:{port}"
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    storefront = {"Authorization": f"Bearer {keys['storefront']}"}
    tier = httpx.get(f"{base}/v1/members/m1/tier", headers=storefront)
    assert tier.status_code == 200 and tier.json()["member_id"] == "m1"
    assert httpx.get(f"{base}/v1/members/m1/upline", headers=storefront).status_code == 403
    # The demo ledger: the seed plan and orders, every entry re-derivable.
    auditor = {"Authorization": f"Bearer {keys['auditor']}"}
    page = httpx.get(f"{base}/v1/ledger", params={"limit": 5}, headers=auditor).json()
    assert len(page["items"]) == 5 and page["next_cursor"]
    trace = httpx.get(f"{base}/v1/ledger/{page['items'][0]['id']}/trace", headers=auditor)
    assert trace.status_code == 200 and trace.json()["sound"] is True
    audited = refgraph("audit", data_dir=data_dir, stderr=subprocess.PIPE)
    _, audit_err = audited.communicate(timeout=120)
    assert audited.returncode == 0, audit_err

    engine_pid = EmbeddedEngine(data_dir).engine_pid()
    assert engine_pid is not None
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)
    assert EmbeddedEngine(data_dir).engine_pid() is None
    assert not Path(f"/proc/{engine_pid}").exists()


def test_migrate_twice_changes_nothing(data_dir: Path) -> None:
    first = refgraph("migrate", data_dir=data_dir, stderr=subprocess.PIPE)
    _, first_err = first.communicate(timeout=120)
    second = refgraph("migrate", data_dir=data_dir, stderr=subprocess.PIPE)
    _, second_err = second.communicate(timeout=120)
    assert "applied: 001_member_id_index" in first_err
    assert "nothing (up to date)" in second_err
