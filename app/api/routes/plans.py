"""Commission plan versions: load one, check one, list them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from app.api.deps import Admins, Auditors, LadderDep, NowDep, StoreDep
from app.api.problems import problem_responses
from app.core.errors import InvalidInput
from app.domain.plans import Plan, PlanVersion
from app.services import plans as service
from app.services.plans import PlanCheck, PlanLoaded

router = APIRouter(prefix="/v1/plans", tags=["plans"])


@router.put(
    "/{version}",
    status_code=201,
    dependencies=[Admins],
    response_model_exclude_unset=True,
    responses={
        200: {"model": PlanLoaded, "description": "This document is already loaded"},
        **problem_responses(401, 403, 409, 413, 422),
    },
)
def put_plan(
    version: Annotated[PlanVersion, Path(description="Must equal the document's `version`")],
    plan: Plan,
    store: StoreDep,
    ladder: LadderDep,
    now: NowDep,
    response: Response,
) -> PlanLoaded:
    """Loads a plan version, refused (422, naming each rule and limit) when it breaks a
    guardrail; the answer carries the plan's compliance lint."""
    if plan.version != version:
        raise InvalidInput(
            f"the path names version {version} but the document is version {plan.version}",
            field="version",
        )
    loaded, created = service.load_plan(store=store, ladder=ladder, plan=plan, now=now)
    if not created:
        response.status_code = 200
    return loaded


@router.post("/check", dependencies=[Admins], responses=problem_responses(401, 403, 413, 422))
def check_plan(plan: Plan, ladder: LadderDep) -> PlanCheck:
    """Guardrails and lint for a plan, without loading it."""
    return service.check_plan(plan, ladder)


@router.get(
    "",
    dependencies=[Auditors],
    response_model_exclude_unset=True,
    responses=problem_responses(401, 403),
)
def list_plans(store: StoreDep) -> list[Plan]:
    """Every loaded version, oldest in force first."""
    return service.list_plans(store=store)
