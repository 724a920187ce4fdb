"""Background jobs on both backends: the states a job goes through, the lease that turns a
job whose process died into `failed`, and one live run per kind."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.core.errors import NotFound
from app.domain.jobs import Job
from app.services import jobs
from app.services.jobs import LEASE_MS, get_job, start_job
from app.store.cypher_store import CypherStore
from app.store.falkordb_store import FalkorDBStore
from app.store.neo4j_store import Neo4jStore

CLIENTS = 8


def now_ms() -> int:
    return int(time.time() * 1000)


def stored_job_ids(store: CypherStore, kind: str) -> list[str]:
    """The ids of every job node of a kind, read around the service and its catalogue."""
    query = "MATCH (j:Job {kind: $kind}) RETURN j.id AS id"
    if isinstance(store, FalkorDBStore):
        return sorted(row[0] for row in store.graph.ro_query(query, {"kind": kind}).result_set)
    assert isinstance(store, Neo4jStore)
    records, _, _ = store.driver.execute_query(query, {"kind": kind}, database_=store.database)
    return sorted(record["id"] for record in records)


def settled(store: CypherStore, job_id: str) -> Job:
    for _ in range(200):
        job = get_job(store=store, job_id=job_id, now=now_ms())
        if job.status in ("succeeded", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


@pytest.fixture
def fast_heartbeats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "HEARTBEAT_S", 0.05)


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """Work that runs until the test opens the gate (opened at the end in any case)."""
    opened = threading.Event()
    yield opened
    opened.set()


def blocked_on(gate: threading.Event) -> Callable[[Callable[[float], None]], None]:
    def work(progress: Callable[[float], None]) -> None:
        progress(0.5)
        assert gate.wait(10)

    return work


def test_a_job_runs_to_success_with_its_times(store: CypherStore) -> None:
    job = start_job(store=store, kind="sum", work=lambda progress: progress(0.5))
    assert job.status == "queued"
    done = settled(store, job.job_id)
    assert (done.kind, done.status, done.progress, done.error) == ("sum", "succeeded", 1.0, None)
    assert done.started_at is not None and done.finished_at is not None
    assert done.finished_at >= done.started_at


def test_a_job_that_raises_is_failed_with_the_reason(store: CypherStore) -> None:
    def work(progress: Callable[[float], None]) -> None:
        raise ValueError("the projection is empty")

    done = settled(store, start_job(store=store, kind="broken", work=work).job_id)
    assert (done.status, done.error) == ("failed", "the projection is empty")


def test_a_running_job_renews_its_lease(
    store: CypherStore, fast_heartbeats: None, gate: threading.Event
) -> None:
    job = start_job(store=store, kind="long", work=blocked_on(gate))
    time.sleep(0.3)
    first = get_job(store=store, job_id=job.job_id, now=now_ms())
    time.sleep(0.3)
    later = get_job(store=store, job_id=job.job_id, now=now_ms())
    assert first.status == later.status == "running"
    assert first.heartbeat_at is not None and later.heartbeat_at is not None
    assert later.heartbeat_at > first.heartbeat_at
    # Read a lease-length later, a running job that beats is still running...
    assert get_job(store=store, job_id=job.job_id, now=later.heartbeat_at + LEASE_MS).status == (
        "running"
    )
    gate.set()
    assert settled(store, job.job_id).status == "succeeded"


def test_a_job_whose_process_died_reads_as_failed(store: CypherStore) -> None:
    # What a killed process leaves behind: `running`, and heartbeats that stopped.
    beat = now_ms() - LEASE_MS - 5_000
    store.put_job(
        Job(job_id="orphan", kind="connectors", status="running", progress=0.2,
            started_at=beat - 1_000, heartbeat_at=beat)
    )  # fmt: skip
    job = get_job(store=store, job_id="orphan", now=now_ms())
    assert (job.status, job.finished_at, job.progress) == ("failed", beat, 0.2)
    assert job.error is not None and job.error.startswith(
        "the process running this job stopped: no heartbeat since "
    )
    # ...and it does not block a new run of its kind.
    fresh = start_job(store=store, kind="connectors", work=lambda progress: None)
    assert fresh.job_id != "orphan"
    assert settled(store, fresh.job_id).status == "succeeded"


def test_one_live_run_per_kind(store: CypherStore, gate: threading.Event) -> None:
    first = start_job(store=store, kind="connectors", work=blocked_on(gate))
    again = start_job(store=store, kind="connectors", work=blocked_on(gate))
    other = start_job(store=store, kind="cohorts", work=lambda progress: None)
    assert again.job_id == first.job_id and other.job_id != first.job_id
    gate.set()
    assert settled(store, first.job_id).status == "succeeded"
    after = start_job(store=store, kind="connectors", work=lambda progress: None)
    assert after.job_id != first.job_id
    assert settled(store, after.job_id).status == "succeeded"


def test_eight_concurrent_starts_give_one_run(store: CypherStore, gate: threading.Event) -> None:
    def start(kind: str, barrier: threading.Barrier) -> str:
        barrier.wait()
        return start_job(store=store, kind=kind, work=blocked_on(gate)).job_id

    # Several rounds, each a kind never started: the first start of a kind is the race.
    runs: list[str] = []
    for kind in ("connectors", "cohorts", "exports"):
        barrier = threading.Barrier(CLIENTS)
        with ThreadPoolExecutor(CLIENTS) as pool:
            answered = set(pool.map(start, [kind] * CLIENTS, [barrier] * CLIENTS))
        assert len(answered) == 1, kind
        assert stored_job_ids(store, kind) == sorted(answered)
        runs += answered
    gate.set()
    assert [settled(store, job_id).status for job_id in runs] == ["succeeded"] * 3


def test_an_unknown_job_is_not_found(store: CypherStore) -> None:
    with pytest.raises(NotFound, match="job nope does not exist"):
        get_job(store=store, job_id="nope", now=now_ms())
