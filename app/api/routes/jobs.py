"""Background jobs: start one, follow it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app.api.deps import GrowthTeam, LadderDep, NowDep, SettingsDep, StoreDep
from app.api.problems import problem_responses
from app.domain.jobs import Job
from app.domain.members import DerivedId
from app.services import connectors, signals
from app.services.jobs import get_job, start_job

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.post(
    "/connectors",
    status_code=202,
    dependencies=[GrowthTeam],
    responses=problem_responses(401, 403),
)
def start_connectors_job(store: StoreDep, ladder: LadderDep, now: NowDep) -> dict[str, str]:
    """Scores every member as a key connector in the background; follow it at
    `GET /v1/jobs/{job_id}`. While a run is queued or running, its id is the answer (one
    run at a time; a retried request does not start another)."""
    job = start_job(
        store=store,
        kind="connectors",
        work=lambda progress: connectors.run_connectors(
            store=store, ladder=ladder, now=now, progress=progress
        ),
    )
    return {"job_id": job.job_id}


@router.post(
    "/signals",
    status_code=202,
    dependencies=[GrowthTeam],
    responses=problem_responses(401, 403),
)
def start_signals_job(store: StoreDep, settings: SettingsDep, now: NowDep) -> dict[str, str]:
    """Finds abuse signals (shared identities, self-dealing, bursts, bonus farming, trading
    rings) in the background, read at `GET /v1/risk/signals` once done; follow it at
    `GET /v1/jobs/{job_id}`. One run at a time, as for connectors."""
    return {"job_id": signals.start_signals_job(store, settings.signal_rules, now)}


@router.get(
    "/{job_id}",
    dependencies=[GrowthTeam],
    responses=problem_responses(401, 403, 404, 422),
)
def read_job(
    job_id: Annotated[
        DerivedId,
        Path(
            description="The job_id its start answered",
            examples=["3f2b9c0e5d4a4b1f8e6d7c5b4a392817"],
        ),
    ],
    store: StoreDep,
    now: NowDep,
) -> Job:
    """A job whose process stopped (no heartbeat for a minute) reads as `failed`."""
    return get_job(store=store, job_id=job_id, now=now)
