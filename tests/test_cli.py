"""The `refgraph` command as a user runs it: in its own process, against its own folder."""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from app.cli import DEMO_KEYS_HERE, DEMO_KEYS_IN_DATA, demo_keys, demo_keys_file
from app.core.config import ROLES
from app.core.errors import InvalidInput
from app.store.embedded import EmbeddedEngine
from tests.api.test_error_messages import unreadable
from tests.conftest import make_settings
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


def printed_keys(server: subprocess.Popen[str], timeout: float = 120) -> dict[str, str]:
    """role -> key, as `serve --demo` prints them (on stderr, before it listens)."""
    assert server.stderr is not None
    keys: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while len(keys) < 4 and time.monotonic() < deadline:
        line = server.stderr.readline()
        if found := re.match(r"(\w+)\s+Authorization: Bearer (\S+)", line):
            keys[found[1]] = found[2]
    assert set(keys) == {"admin", "storefront", "growth", "auditor"}
    return keys


def wait_ready(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base} never became ready")


def test_serve_demo_answers_with_its_printed_keys_and_stops_its_engine(data_dir: Path) -> None:
    port = free_port()
    server = refgraph(
        "serve", "--demo", "--port", str(port), data_dir=data_dir, stderr=subprocess.PIPE
    )
    try:
        keys = printed_keys(server)
        base = f"http://127.0.0.1:{port}"
        wait_ready(base)
        storefront = {"Authorization": f"Bearer {keys['storefront']}"}
        tier = httpx.get(f"{base}/v1/members/m1/tier", headers=storefront)
        assert tier.status_code == 200 and tier.json()["member_id"] == "m1"
        assert httpx.get(f"{base}/v1/members/m1/upline", headers=storefront).status_code == 200
        assert httpx.get(f"{base}/v1/members/m1/tree", headers=storefront).status_code == 403
        # The demo ledger: the seed plan and orders, every entry re-derivable.
        auditor = {"Authorization": f"Bearer {keys['auditor']}"}
        page = httpx.get(f"{base}/v1/ledger", params={"limit": 5}, headers=auditor).json()
        assert len(page["items"]) == 5 and page["next_cursor"]
        trace = httpx.get(f"{base}/v1/ledger/{page['items'][0]['id']}/trace", headers=auditor)
        assert trace.status_code == 200 and trace.json()["sound"] is True
        audited = refgraph("audit", data_dir=data_dir, stderr=subprocess.PIPE)
        _, audit_err = audited.communicate(timeout=120)
        assert audited.returncode == 0, audit_err

    except BaseException:
        # A failed check must not leave the demo (and its engine) serving.
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        raise
    engine_pid = EmbeddedEngine(data_dir).engine_pid()
    assert engine_pid is not None
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)
    assert EmbeddedEngine(data_dir).engine_pid() is None
    assert not Path(f"/proc/{engine_pid}").exists()

    # A restart of the same folder prints, and accepts, the same keys: they are kept in the
    # data folder, readable by its owner only.
    assert stat.S_IMODE((data_dir / DEMO_KEYS_IN_DATA).stat().st_mode) == 0o600
    again = refgraph(
        "serve", "--demo", "--port", str(port), data_dir=data_dir, stderr=subprocess.PIPE
    )
    try:
        assert printed_keys(again) == keys
        wait_ready(base)
        assert httpx.get(f"{base}/v1/members/m1/tier", headers=storefront).status_code == 200
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(timeout=60)


def test_serve_without_keys_refuses_to_start_and_says_how(data_dir: Path) -> None:
    server = refgraph(
        "serve", "--port", str(free_port()), data_dir=data_dir, stderr=subprocess.PIPE
    )
    try:
        _, err = server.communicate(timeout=60)
    finally:
        if server.poll() is None:  # the old behaviour: up, answering 401 to everything
            server.terminate()  # SIGTERM: the service stops its engine too
            server.communicate(timeout=60)
    assert server.returncode != 0
    assert "REFGRAPH_API_KEYS is not set" in err and "key=role" in err and "--demo" in err
    assert not data_dir.exists()  # refused before touching the graph


def test_demo_keys_are_made_once_whole_and_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / DEMO_KEYS_IN_DATA
    keys = demo_keys(path)
    assert sorted(keys.values()) == sorted(ROLES) and len(set(keys)) == len(ROLES)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert demo_keys(path) == keys
    assert [entry.name for entry in path.parent.iterdir()] == [DEMO_KEYS_IN_DATA]  # no leftovers
    # Two first starts racing: each writes aside and links into place; both end on one set.
    with ThreadPoolExecutor(8) as pool:
        racing = list(pool.map(lambda _: demo_keys(tmp_path / "race" / "keys.json"), range(8)))
    assert all(found == racing[0] for found in racing)


def test_a_damaged_demo_keys_file_is_named_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / DEMO_KEYS_IN_DATA
    path.write_text('{"admin": "k"}')
    with pytest.raises(InvalidInput, match="delete it to make new keys"):
        demo_keys(path)
    assert path.read_text() == '{"admin": "k"}'


def test_demo_keys_live_in_the_embedded_folder_else_in_the_current_one(tmp_path: Path) -> None:
    embedded = make_settings(graph_url=f"embedded:{tmp_path / 'data'}")
    assert demo_keys_file(embedded) == tmp_path / "data" / DEMO_KEYS_IN_DATA
    neo4j = make_settings(graph_url="bolt://127.0.0.1:7687")
    assert demo_keys_file(neo4j) == Path.cwd() / DEMO_KEYS_HERE


def test_migrate_twice_changes_nothing(data_dir: Path) -> None:
    first = refgraph("migrate", data_dir=data_dir, stderr=subprocess.PIPE)
    _, first_err = first.communicate(timeout=120)
    second = refgraph("migrate", data_dir=data_dir, stderr=subprocess.PIPE)
    _, second_err = second.communicate(timeout=120)
    assert "applied: 001_member_id_index" in first_err
    assert "nothing (up to date)" in second_err


@pytest.mark.parametrize(
    ("variables", "says"),
    [
        (
            {"REFGRAPH_API_KEYS": "k1=owner", "REFGRAPH_PORT": "eighty"},
            "error: the settings are not valid: REFGRAPH_API_KEYS: unknown roles ['owner']; "
            "roles are ['admin', 'storefront', 'growth', 'auditor']; REFGRAPH_PORT: Input "
            "should be a valid integer",
        ),
        (
            {"REFGRAPH_TIER_LADDER": '{"steps": [{"tier": "bee", "min_paid_invites": 2}]}'},
            "error: the settings are not valid: REFGRAPH_TIER_LADDER: the first tier must start "
            "at 0 paid invites",
        ),
        ({"REFGRAPH_CONFIG_FILE": "/nonexistent/refgraph.toml"}, "cannot be read"),
    ],
)
def test_invalid_settings_are_one_line_naming_each_variable(
    data_dir: Path, variables: dict[str, str], says: str
) -> None:
    """Was a traceback ending in pydantic's "2 validation errors for Settings … [type=…]
    For further information visit https://errors.pydantic.dev/…"."""
    env = {**os.environ, "REFGRAPH_GRAPH_URL": f"embedded:{data_dir}", "COLUMNS": "500"}
    run = subprocess.run(
        [sys.executable, "-m", "app.cli", "plan", "list"],
        env={**env, **variables},
        cwd=ROOT,
        text=True,
        capture_output=True,
        timeout=60,
    )
    assert run.returncode == 1, run.stderr
    assert says in run.stderr
    assert "Traceback" not in run.stderr and unreadable(run.stderr) == []
    assert not data_dir.exists()  # refused before touching the graph
