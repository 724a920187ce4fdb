"""Background jobs' state on the port (app/store/port.py): one node per job, so any service
process can answer for a job another one runs."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from app.domain.jobs import Job

Record = dict[str, Any]


class JobQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    def live_or_created_job(self, job: Job, heartbeat_after: int) -> Job:
        rows = self._write("job_start", {"job": _record(job), "heartbeat_after": heartbeat_after})
        return _job(rows[0]["job"])

    def put_job(self, job: Job) -> None:
        self._write("job_put", {"job": _record(job)})

    def get_job(self, job_id: str) -> Job | None:
        rows = self._read("job_get", {"id": job_id})
        return _job(rows[0]["job"]) if rows else None


def _record(job: Job) -> Record:
    """The job as the graph keeps it: its id as `id`."""
    return {"id": job.job_id, **job.model_dump(exclude={"job_id"})}


def _job(record: Record) -> Job:
    return Job(job_id=record["id"], **{k: v for k, v in record.items() if k != "id"})
