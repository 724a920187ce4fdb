"""A kill -9 of the Neo4j JVM under write load, as an operator meets it: `refgraph serve` in
its own process on a Neo4j of the test's own, writers registering members over HTTP the
whole time. Every registration the service acknowledged survives the crash; while Neo4j is
down each request is answered 503 problem+json with Retry-After within a bounded time
(none is held for the driver's 30 s retry budget); once Neo4j is back the same service
process acknowledges writes again by itself, and `refgraph verify` finds the graph whole."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from neo4j import GraphDatabase

from app.api.problems import PROBLEM_JSON
from app.store.embedded import _wait_gone
from tests.engines import ROOT
from tests.store.test_neo4j_dump import neo4j_local
from tests.test_cli import free_port, wait_ready

KEY = "neo4j-fault-admin-key"
HEADERS = {"Authorization": f"Bearer {KEY}"}
WRITERS = 3
ACKNOWLEDGED_BEFORE_KILL = 40
# Long enough that every writer meets the outage several times.
OUTAGE_WRITING_S = 8.0
ACKNOWLEDGED_AFTER_RECOVERY = 30
# Behaviour bounds, not benchmarks. The store gives up on an unreachable Neo4j within ~7-8 s
# (its 5 s retry budget and the last retry's wait; app/store/neo4j_store.py), where the
# driver's default held each call ~31 s; a write queued behind a failing group commit used
# to wait for that one and then its own (~14 s), and fails with it now.
OUTAGE_ANSWER_S = 12.0
RECOVERY_S = 30.0
# Well above OUTAGE_ANSWER_S, so a hung request is seen as slow rather than cut short.
CLIENT_TIMEOUT_S = 40.0


@dataclass
class Outcome:
    writer: int
    started: float  # time.monotonic() when the request was sent
    took: float
    status: int | None  # None: no HTTP answer (the error says why)
    error: str = ""


@dataclass
class Load:
    acknowledged: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what a writer thread saw wrong
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acknowledged_count(self) -> int:
        with self.lock:
            return len(self.acknowledged)

    def acknowledged_since(self, moment: float) -> int:
        with self.lock:
            return sum(1 for o in self.outcomes if o.started >= moment and o.status in (200, 201))


def write(load: Load, base: str, writer: int) -> None:
    """Registers members one after another, each under a member already acknowledged (or
    none). A registration that was not acknowledged is sent again as it was, as a storefront
    retries, until it is."""
    try:
        _write(load, base, writer)
    except Exception as error:  # a thread's failure must reach the test, not vanish
        with load.lock:
            load.problems.append(f"writer {writer}: {error!r}")


def _write(load: Load, base: str, writer: int) -> None:
    rng = random.Random(writer)
    count = 0
    with httpx.Client(base_url=base, headers=HEADERS, timeout=CLIENT_TIMEOUT_S) as client:
        while not load.stop.is_set():
            with load.lock:
                known = list(load.acknowledged)
            body: dict[str, object] = {"id": f"w{writer}-{count}"}
            if known and rng.random() < 0.9:
                body["inviter_id"] = rng.choice(known)
            while not load.stop.is_set():
                started = time.monotonic()
                try:
                    response = client.post("/v1/members", json=body)
                except httpx.HTTPError as error:
                    took = time.monotonic() - started
                    with load.lock:
                        load.outcomes.append(Outcome(writer, started, took, None, repr(error)))
                    time.sleep(0.2)
                    continue
                took = time.monotonic() - started
                with load.lock:
                    load.outcomes.append(Outcome(writer, started, took, response.status_code))
                if response.status_code in (200, 201):
                    with load.lock:
                        load.acknowledged.append(str(body["id"]))
                    count += 1
                    break
                if response.status_code != 503:
                    with load.lock:
                        load.problems.append(f"{body}: {response.status_code} {response.text}")
                    time.sleep(0.2)
                    continue
                problem = unavailable_problem(response)
                if problem:
                    with load.lock:
                        load.problems.append(f"{body}: {problem}")
                # A storefront would wait the Retry-After; a shorter pause keeps the outage
                # measured by many requests.
                time.sleep(0.2)


def unavailable_problem(response: httpx.Response) -> str:
    """What is wrong with a 503 (empty when nothing is)."""
    if response.headers.get("content-type") != PROBLEM_JSON:
        return f"503 as {response.headers.get('content-type')}: {response.text}"
    retry_after = response.headers.get("retry-after", "")
    if not retry_after.isdigit() or int(retry_after) <= 0:
        return f"503 with Retry-After {retry_after!r}"
    return ""


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds until `condition` held."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"{what}: not within {timeout} s"
        time.sleep(0.05)
    return time.monotonic() - started


def serve(graph_url: str, port: int, log: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "REFGRAPH_GRAPH_URL": graph_url,
        "REFGRAPH_API_KEYS": f"{KEY}=admin",
        "REFGRAPH_RATE_LIMITS": "reads=0,writes=0,jobs=0",
        "REFGRAPH_RELEASE_INTERVAL_S": "0",
        # A hung request shows where it waits: `kill -ABRT` dumps every thread to the log.
        "PYTHONFAULTHANDLER": "1",
    }
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            env=env, cwd=ROOT, text=True, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def refgraph(*args: str, graph_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REFGRAPH_GRAPH_URL": graph_url}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def jvm_pid(home: Path) -> int:
    # scripts/neo4j-local records the JVM's own pid (its launcher execs java).
    return int((home / "neo4j.pid").read_text().strip())


def stored_ids(url: str, ids: list[str]) -> set[str]:
    with GraphDatabase.driver(url) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (m:Member) WHERE m.id IN $ids RETURN m.id AS id", ids=ids
        )
    return {str(record["id"]) for record in records}


@pytest.fixture
def neo4j_home(tmp_path: Path) -> Iterator[tuple[Path, int, str]]:
    home, port = tmp_path / "neo4j", free_port()
    started = neo4j_local("start", home=home, port=port)
    try:
        if started.returncode != 0:
            message = f"scripts/neo4j-local start failed: {started.stderr.strip()[-800:]}"
            if os.environ.get("REFGRAPH_REQUIRE_NEO4J") == "1":
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
        yield home, port, started.stdout.strip().splitlines()[-1]
    finally:
        neo4j_local("stop", home=home, port=port)


@pytest.mark.slow
def test_a_killed_neo4j_loses_nothing_acknowledged_and_the_service_recovers_by_itself(
    tmp_path: Path, neo4j_home: tuple[Path, int, str]
) -> None:
    """Writers register members through the running service; Neo4j's JVM is killed (-9)
    under them, left down a while, and started again on the same data."""
    home, bolt_port, graph_url = neo4j_home
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    server = serve(graph_url, port, log)
    load = Load()
    writers = [
        threading.Thread(target=write, args=(load, base, k), daemon=True) for k in range(WRITERS)
    ]
    try:
        wait_ready(base)
        for writer in writers:
            writer.start()
        wait_for(lambda: load.acknowledged_count() >= ACKNOWLEDGED_BEFORE_KILL, 60, "writes before")

        pid = jvm_pid(home)
        os.kill(pid, signal.SIGKILL)
        assert _wait_gone(pid, 10)
        killed = time.monotonic()
        time.sleep(OUTAGE_WRITING_S)

        restarted = neo4j_local("start", home=home, port=bolt_port)
        assert restarted.returncode == 0, restarted.stderr[-2000:]
        back = time.monotonic()
        recovery_s = wait_for(
            lambda: load.acknowledged_since(back) >= ACKNOWLEDGED_AFTER_RECOVERY,
            RECOVERY_S,
            "writes after Neo4j came back",
        )
        assert httpx.get(f"{base}/readyz").status_code == 200
        load.stop.set()
        for writer in writers:
            writer.join(timeout=CLIENT_TIMEOUT_S + 5)
        # Nothing acknowledged was lost, as the API answers it.
        with httpx.Client(base_url=base, headers=HEADERS, timeout=CLIENT_TIMEOUT_S) as client:
            missing = [
                member_id
                for member_id in load.acknowledged
                if client.get(f"/v1/members/{member_id}").status_code != 200
            ]
        assert not missing, missing
    finally:
        load.stop.set()
        for writer in writers:
            writer.join(timeout=CLIENT_TIMEOUT_S + 5)
        if server.poll() is None and any(writer.is_alive() for writer in writers):
            server.send_signal(signal.SIGABRT)  # its threads' stacks, into the log
        try:
            if any(writer.is_alive() for writer in writers) or not load.outcomes:
                print(log.read_text()[-20000:])
        finally:
            if server.poll() is None:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()

    assert not any(writer.is_alive() for writer in writers), "a writer never came back"
    assert not load.problems, load.problems[:10]

    # How long each request waited while Neo4j was down: one sent then and answered once
    # it was back counts only its wait until then.
    waits = [
        min(o.started + o.took, back) - max(o.started, killed)
        for o in load.outcomes
        if o.started < back and o.started + o.took > killed
    ]
    refused = [o for o in load.outcomes if killed <= o.started + o.took < back and o.status == 503]
    print(
        f"\n{len(load.acknowledged)} acknowledged; Neo4j down {back - killed:.1f} s: "
        f"{len(waits)} requests waited in it, {len(refused)} answered 503, longest wait "
        f"{max(waits):.1f} s; writes again {recovery_s:.1f} s after Neo4j was back"
    )
    assert {o.writer for o in refused} == set(range(WRITERS)), "a writer never met the outage"
    assert all(o.status is not None for o in load.outcomes), [o.error for o in load.outcomes]
    assert max(waits) < OUTAGE_ANSWER_S, sorted(waits)[-5:]

    # ... and in the graph itself.
    acknowledged = load.acknowledged
    assert len(set(acknowledged)) == len(acknowledged)
    assert stored_ids(graph_url, acknowledged) == set(acknowledged)
    verified = refgraph("verify", graph_url=graph_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # At most the registration each writer had in flight when it stopped is there unanswered.
    summary = re.search(r"(\d+) members checked, 0 problems", verified.stderr)
    assert summary, verified.stdout + verified.stderr
    assert len(acknowledged) <= int(summary[1]) <= len(acknowledged) + WRITERS, summary[0]
    audited = refgraph("audit", graph_url=graph_url)
    assert audited.returncode == 0, audited.stdout + audited.stderr
