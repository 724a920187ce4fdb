"""Background jobs: state kept in the graph (so any service process can answer for it),
the work run on a thread of the process that started it."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field

from app.core.errors import NotFound
from app.store.port import GraphStore

log = logging.getLogger("refgraph.jobs")
JobStatus = Literal["queued", "running", "succeeded", "failed"]
# Progress is written at most this often: each write is a statement.
PROGRESS_EVERY_S = 1.0


class Job(BaseModel):
    job_id: str
    kind: str
    status: JobStatus
    progress: float = Field(ge=0, le=1)
    started_at: int | None = None
    finished_at: int | None = None
    error: str | None = None


def _now() -> int:
    return int(time.time() * 1000)


def _save(store: GraphStore, job: Job) -> None:
    record = job.model_dump(exclude={"job_id"})
    store.put_job({"id": job.job_id, **record})


def start_job(
    *, store: GraphStore, kind: str, work: Callable[[Callable[[float], None]], object]
) -> Job:
    """Records a queued job and runs `work(progress)` on a daemon thread."""
    job = Job(job_id=uuid.uuid4().hex, kind=kind, status="queued", progress=0.0)
    _save(store, job)
    threading.Thread(target=_run, args=(store, job, work), name=f"job-{kind}", daemon=True).start()
    return job


def _run(store: GraphStore, job: Job, work: Callable[[Callable[[float], None]], object]) -> None:
    state = job.model_copy(update={"status": "running", "started_at": _now()})
    _save(store, state)
    last = 0.0

    def progress(share: float) -> None:
        nonlocal state, last
        state = state.model_copy(update={"progress": min(max(share, 0.0), 1.0)})
        if time.monotonic() - last >= PROGRESS_EVERY_S:
            last = time.monotonic()
            _save(store, state)

    try:
        work(progress)
    except Exception as error:  # a failed job says why; the service keeps serving
        log.exception("job %s (%s) failed", job.job_id, job.kind)
        _save(
            store,
            state.model_copy(
                update={"status": "failed", "finished_at": _now(), "error": str(error)}
            ),
        )
        return
    _save(
        store,
        state.model_copy(update={"status": "succeeded", "progress": 1.0, "finished_at": _now()}),
    )


def get_job(*, store: GraphStore, job_id: str) -> Job:
    record = store.get_job(job_id)
    if record is None:
        raise NotFound(f"job {job_id} does not exist", job_id=job_id)
    return Job(job_id=record.pop("id"), **record)
