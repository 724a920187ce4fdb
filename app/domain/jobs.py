"""A background job's state, as the graph keeps it (so any service process can answer for
it) and as the API answers it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

JobStatus = Literal["queued", "running", "succeeded", "failed"]


class Job(BaseModel):
    job_id: str
    kind: str
    status: JobStatus
    progress: float = Field(ge=0, le=1)
    started_at: int | None = None
    finished_at: int | None = None
    error: str | None = None
    heartbeat_at: int | None = Field(
        default=None, description="When the process running it last said it was alive"
    )
