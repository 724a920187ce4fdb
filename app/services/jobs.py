"""Background jobs: state kept in the graph (so any service process can answer for it),
the work run on a thread of the process that started it.

That thread's process can die (kill -9, a crash, a deploy) and leave the node saying
`running` forever, so the runner renews a lease: it writes `heartbeat_at` every
HEARTBEAT_S while the work runs, and a queued or running job whose heartbeat is older than
LEASE_MS is reported `failed`, with the reason, to every reader."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable

from app.core.errors import NotFound
from app.core.metrics import JOB_RUNS, JOB_SECONDS
from app.core.validation import readable
from app.domain.jobs import Job
from app.domain.units import iso_moment
from app.store.port import GraphStore

log = logging.getLogger("refgraph.jobs")
Work = Callable[[Callable[[float], None]], object]
# Progress is written at most this often: each write is a statement.
PROGRESS_EVERY_S = 1.0
HEARTBEAT_S = 10.0
# Six missed heartbeats: long enough for a stalled engine or a GC pause, short enough that
# an analyst retrying after a crash is not kept waiting.
LEASE_MS = 60_000


def _now() -> int:
    return int(time.time() * 1000)


class _Runner:
    """Owns one job's state while it runs: progress, heartbeats and the final status are
    all writes of that state, serialised so that a late heartbeat never undoes the end."""

    def __init__(self, store: GraphStore, job: Job) -> None:
        self.store = store
        self.state = job
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.last_progress_write = 0.0

    def save(self, **changes: object) -> None:
        with self.lock:
            self.state = self.state.model_copy(update={**changes, "heartbeat_at": _now()})
            self.store.put_job(self.state)

    def progress(self, share: float) -> None:
        if time.monotonic() - self.last_progress_write >= PROGRESS_EVERY_S:
            self.last_progress_write = time.monotonic()
            self.save(progress=min(max(share, 0.0), 1.0))

    def beat(self) -> None:
        while not self.done.wait(HEARTBEAT_S):
            try:
                self.save()
            except Exception:  # a missed beat is retried; the lease allows several
                log.warning("job %s: heartbeat not written", self.state.job_id, exc_info=True)

    def run(self, work: Work) -> None:
        started = time.monotonic()
        try:
            self._run(work)
        finally:
            JOB_RUNS.labels(self.state.kind, self.state.status).inc()
            JOB_SECONDS.labels(self.state.kind).observe(time.monotonic() - started)

    def _run(self, work: Work) -> None:
        self.save(status="running", started_at=_now())
        threading.Thread(target=self.beat, name=f"job-{self.state.kind}-beat", daemon=True).start()
        try:
            work(self.progress)
        except Exception as error:  # a failed job says why; the service keeps serving
            log.exception("job %s (%s) failed", self.state.job_id, self.state.kind)
            # The page shows this: a pydantic error summarised, not its developer text.
            self.finish(status="failed", finished_at=_now(), error=readable(error))
            return
        self.finish(status="succeeded", progress=1.0, finished_at=_now())

    def finish(self, **changes: object) -> None:
        self.done.set()
        self.save(**changes)


def start_job(*, store: GraphStore, kind: str, work: Work) -> Job:
    """Runs `work(progress)` on a daemon thread, unless a job of this kind is already
    queued or running with a live lease: then that job is the answer, so a retried or
    doubled request does not start a second run. Looking for the live job and creating the
    new one are one statement: two checks then two writes let concurrent starts both run."""
    now = _now()
    queued = Job(job_id=uuid.uuid4().hex, kind=kind, status="queued", progress=0, heartbeat_at=now)
    answer = store.live_or_created_job(queued, now - LEASE_MS)
    if answer.job_id != queued.job_id:
        return answer
    runner = _Runner(store, queued)
    threading.Thread(target=runner.run, args=(work,), name=f"job-{kind}", daemon=True).start()
    return queued


def get_job(*, store: GraphStore, job_id: str, now: int) -> Job:
    job = store.get_job(job_id)
    if job is None:
        raise NotFound(f"job {job_id} does not exist", job_id=job_id)
    return lease_checked(job, now)


def lease_checked(job: Job, now: int) -> Job:
    """The job as a reader should see it: one unfinished past its lease has failed."""
    beat = job.heartbeat_at or job.started_at  # jobs written before heartbeats have none
    if job.status in ("succeeded", "failed") or beat is None or now - beat <= LEASE_MS:
        return job
    since = iso_moment(beat)  # the one way a message shows a moment
    return job.model_copy(
        update={
            "status": "failed",
            "finished_at": beat,
            "error": f"the process running this job stopped: no heartbeat since {since}",
        }
    )
