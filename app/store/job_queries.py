"""Background jobs' state on the port: one node per job, so any service process can answer
for a job another one runs."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Protocol

Record = dict[str, Any]


class JobStore(Protocol):
    def live_or_created_job(self, job: Record, heartbeat_after: int) -> Record: ...

    def put_job(self, job: Record) -> None: ...

    def get_job(self, job_id: str) -> Record | None: ...


class JobQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    def live_or_created_job(self, job: Record, heartbeat_after: int) -> Record:
        """The queued or running job of `job`'s kind whose runner beat after the time given;
        with none, `job`, created. One statement: of concurrent calls for a kind, one
        creates and the others get its job."""
        rows = self._write("job_start", {"job": job, "heartbeat_after": heartbeat_after})
        return dict(rows[0]["job"])

    def put_job(self, job: Record) -> None:
        self._write("job_put", {"job": job})

    def get_job(self, job_id: str) -> Record | None:
        rows = self._read("job_get", {"id": job_id})
        return dict(rows[0]["job"]) if rows else None
