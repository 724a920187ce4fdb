"""The embedded engine's disk fills up: writes answer 503 problem+json with Retry-After at
once and change nothing, reads answer 200 from the data already there, writes go on again as
soon as space returns (no restart), and every acknowledged write survives the episode and a
restart (`refgraph verify` passes). Run on a small tmpfs, filled with a ballast file.

Two ways to the full disk: the write reserve refusing writes before they reach the engine
(the engine never meets a full disk and lives on), and no reserve at all, where an append
meets the full disk and the engine (appendfsync always) exits and is restarted."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.api.problems import PROBLEM_JSON
from app.core.config import Settings
from app.store.embedded import MIB, EmbeddedEngine, free_bytes
from tests.conftest import auth, make_settings
from tests.engines import ROOT

pytestmark = pytest.mark.slow

DISK_MB = 16  # the graph, its migrations and the start's snapshot take ~1 MB of it
# A behaviour bound: a refused write answers at once, not after a hang.
REQUEST_BOUND_S = 10.0
HEAL_TIMEOUT_S = 30.0


@contextmanager
def small_disk(where: Path) -> Iterator[Path]:
    """A tmpfs of DISK_MB at `where`, unmounted afterwards; skips where mounting is not
    allowed (a user without the right)."""
    where.mkdir()
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m", "tmpfs", str(where)],
            capture_output=True,
            text=True,
        )
    except OSError as error:
        pytest.skip(f"cannot mount a tmpfs: {error}")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield where
    finally:
        # A failing test can leave a file of the folder open (a start cut short keeps its
        # folder lock): detach the mount all the same, and say so.
        if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "--lazy", str(where)], check=True)
            raise AssertionError(f"{where} was still in use; unmounted lazily")


def fill(disk: Path, leave: int) -> Path:
    """A ballast file taking all but `leave` bytes of the disk's free space."""
    ballast = disk / "ballast"
    size = free_bytes(disk) - leave
    assert size > 0, f"only {free_bytes(disk)} bytes free"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.posix_fallocate(fd, 0, size)
    finally:
        os.close(fd)
    return ballast


class Timed:
    """The test's client, timing every request."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.slowest = 0.0

    def request(self, method: str, path: str, role: str, **kwargs: Any) -> httpx.Response:
        started = time.monotonic()
        response: httpx.Response = self.client.request(method, path, headers=auth(role), **kwargs)
        self.slowest = max(self.slowest, time.monotonic() - started)
        return response

    def register(self, member_id: str, inviter_id: str | None) -> httpx.Response:
        body = {"id": member_id, "inviter_id": inviter_id, "name": f"member {member_id}"}
        return self.request("POST", "/v1/members", "storefront", json=body)


def inviter_of(index: int) -> str | None:
    return f"m{(index - 1) // 3}" if index else None


# What a refused write's answer says.
BY_RESERVE = ("disk is full", "writes are refused")


def assert_disk_full(response: httpx.Response, says: tuple[str, ...] = BY_RESERVE) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert int(response.headers["retry-after"]) > 0
    detail = response.json()["detail"]
    assert all(words in detail for words in says), detail
    assert "/" not in detail  # no file-system paths in answers


def register_until_refused(timed: Timed, start: int, acknowledged: list[str]) -> httpx.Response:
    """Registers members m<start>, m<start+1>, … until one is refused; returns that answer."""
    for index in range(start, start + 20_000):
        member_id = f"m{index}"
        response = timed.register(member_id, inviter_of(index))
        if response.status_code != 201:
            return response
        acknowledged.append(member_id)
    raise AssertionError("the disk never filled")


def assert_refuses_writes_and_serves_reads(
    timed: Timed, refused_id: str, acknowledged: list[str], says: tuple[str, ...] = BY_RESERVE
) -> None:
    """Every kind of write is refused and changes nothing; reads answer."""
    assert_disk_full(timed.register(refused_id, "m0"), says)
    paid = timed.request("POST", "/v1/members/m1/paid", "storefront", json={})
    assert_disk_full(paid, says)
    patch = {"change_id": "rename-1", "name": "renamed"}
    assert_disk_full(timed.request("PATCH", "/v1/members/m2", "admin", json=patch), says)
    for member_id in (acknowledged[0], acknowledged[len(acknowledged) // 2], acknowledged[-1]):
        answer = timed.request("GET", f"/v1/members/{member_id}", "storefront")
        assert answer.status_code == 200, answer.text
    tier = timed.request("GET", "/v1/members/m0/tier", "storefront")
    assert tier.status_code == 200, tier.text
    assert timed.request("GET", f"/v1/members/{refused_id}", "storefront").status_code == 404
    unchanged = timed.request("GET", "/v1/members/m1", "storefront").json()
    assert unchanged["paid_at"] is None
    assert timed.request("GET", "/v1/members/m2", "storefront").json()["name"] == "member m2"
    assert timed.client.get("/readyz").status_code == 200  # it serves: reads go on


def wait_until_ready(client: TestClient) -> None:
    deadline = time.monotonic() + HEAL_TIMEOUT_S
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, f"not ready within {HEAL_TIMEOUT_S} s"
        time.sleep(0.05)


def assert_all_there_after_a_restart(
    settings: Settings, acknowledged: list[str], refused: list[str]
) -> None:
    """A new service on the folder has every acknowledged member and none refused, and
    `refgraph verify` (run as a command once it has stopped) finds no problem."""
    with TestClient(create_app(settings)) as client:
        for member_id in acknowledged:
            answer = client.get(f"/v1/members/{member_id}", headers=auth("storefront"))
            assert answer.status_code == 200, (member_id, answer.text)
        for member_id in refused:
            answer = client.get(f"/v1/members/{member_id}", headers=auth("storefront"))
            assert answer.status_code == 404, (member_id, answer.text)
        m1 = client.get("/v1/members/m1", headers=auth("storefront")).json()
        assert m1["paid_at"] is not None  # marked once space returned
    verified = subprocess.run(
        [sys.executable, "-m", "app.cli", "verify"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "REFGRAPH_GRAPH_URL": settings.graph_url,
            "REFGRAPH_CYPHER_DIR": str(ROOT / "cypher"),
            "REFGRAPH_MIGRATIONS_DIR": str(ROOT / "migrations"),
        },
        timeout=120,
    )
    printed = verified.stdout + verified.stderr
    assert verified.returncode == 0, printed
    assert f"{len(acknowledged)} members checked, 0 problems" in printed, printed


def register_first(timed: Timed, acknowledged: list[str], count: int) -> None:
    """The first `count` members of the test's tree, each acknowledged."""
    for index in range(count):
        assert timed.register(f"m{index}", inviter_of(index)).status_code == 201
        acknowledged.append(f"m{index}")


def test_writes_are_refused_before_the_disk_fills_and_resume_when_space_returns(
    tmp_path: Path,
) -> None:
    with small_disk(tmp_path / "disk") as disk:
        data_dir = disk / "data"
        settings = make_settings(
            graph_url=f"embedded:{data_dir}",
            embedded_disk_reserve_mb=1,
            engine_check_interval_s=0.1,
        )
        acknowledged: list[str] = []
        refused: list[str] = []
        with TestClient(create_app(settings)) as client:
            timed = Timed(client)
            register_first(timed, acknowledged, 30)
            engine_pid = EmbeddedEngine(data_dir).engine_pid()
            # Room for a couple of hundred registrations above the reserve.
            ballast = fill(disk, leave=MIB + 256 * 1024)
            first_refusal = register_until_refused(timed, len(acknowledged), acknowledged)
            assert_disk_full(first_refusal)
            assert len(acknowledged) > 30  # some went in after the ballast
            refused.append(f"m{len(acknowledged)}")
            assert_refuses_writes_and_serves_reads(timed, refused[0], acknowledged)
            # The engine never met the full disk: the same process all along.
            assert EmbeddedEngine(data_dir).engine_pid() == engine_pid

            ballast.unlink()  # space returns: writes go on at once, no restart
            assert timed.request("POST", "/v1/members/m1/paid", "storefront").is_success
            for index in range(len(acknowledged) + 1, len(acknowledged) + 21):
                assert timed.register(f"m{index}", inviter_of(index)).status_code == 201
                acknowledged.append(f"m{index}")
            assert EmbeddedEngine(data_dir).engine_pid() == engine_pid
            assert timed.slowest < REQUEST_BOUND_S, f"a request took {timed.slowest:.1f} s"
        assert_all_there_after_a_restart(settings, acknowledged, refused)


def test_an_engine_that_meets_the_full_disk_exits_loses_nothing_and_serves_again(
    tmp_path: Path,
) -> None:
    """No reserve, one page (4 kB) left and a registration logging more than twice that:
    its append meets the full disk, Redis (appendfsync always) cuts it off and exits
    without answering it, and the watchdog starts it again (a start works on a full disk).
    Once the disk has no free byte left, writes are refused before they reach the engine."""
    with small_disk(tmp_path / "disk") as disk:
        data_dir = disk / "data"
        settings = make_settings(
            graph_url=f"embedded:{data_dir}",
            embedded_disk_reserve_mb=0,
            engine_check_interval_s=0.1,
        )
        acknowledged: list[str] = []
        refused: list[str] = []
        with TestClient(create_app(settings)) as client:
            timed = Timed(client)
            register_first(timed, acknowledged, 30)
            engine_pid = EmbeddedEngine(data_dir).engine_pid()
            ballast = fill(disk, leave=4096)
            big = {"id": "big", "inviter_id": "m0", "attributes": {"notes": "x" * 8000}}
            answer = timed.request("POST", "/v1/members", "storefront", json=big)
            assert answer.status_code == 503, answer.text
            assert int(answer.headers["retry-after"]) > 0
            wait_until_ready(client)
            assert EmbeddedEngine(data_dir).engine_pid() not in (None, engine_pid)
            assert timed.request("GET", "/v1/members/big", "storefront").status_code == 404
            # What is left of the page takes a few small ones, then the reserve refuses.
            first_refusal = register_until_refused(timed, len(acknowledged), acknowledged)
            assert_disk_full(first_refusal)
            refused.append(f"m{len(acknowledged)}")
            assert_refuses_writes_and_serves_reads(timed, refused[0], acknowledged)
            restarted_pid = EmbeddedEngine(data_dir).engine_pid()

            ballast.unlink()
            assert timed.request("POST", "/v1/members", "storefront", json=big).status_code == 201
            acknowledged.append("big")
            assert timed.request("POST", "/v1/members/m1/paid", "storefront").is_success
            for index in range(len(acknowledged), len(acknowledged) + 20):
                assert timed.register(f"m{index}", inviter_of(index)).status_code == 201
                acknowledged.append(f"m{index}")
            # Refused before they reached the engine since: no second exit.
            assert EmbeddedEngine(data_dir).engine_pid() == restarted_pid
            assert timed.slowest < REQUEST_BOUND_S, f"a request took {timed.slowest:.1f} s"
        assert_all_there_after_a_restart(settings, acknowledged, refused)
