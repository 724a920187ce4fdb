"""Commission plan versions: load one, check one, list them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Response

from app.api.deps import Admins, Auditors, LadderDep, NowDep, StoreDep
from app.api.problems import problem_responses
from app.core.errors import InvalidInput
from app.domain.plans import Plan, PlanVersion
from app.services import plans as service
from app.services.plans import PlanCheck, PlanLoaded

router = APIRouter(prefix="/v1/plans", tags=["plans"])
# A plan in the shape of examples/seed-plan.json, shortened: two levels of distribution under
# the hard cap of 3, at most 11% of an order paid out under a 30% ceiling, amounts in fen.
PLAN_2026_01: dict[str, Any] = {
    "version": "2026-01",
    "effective_from": 1767225600000,
    "currency": "CNY",
    "max_levels": 2,
    "rate_ceiling_bp": 3000,
    "rules": [
        {"kind": "referral_bonus", "amount": 2000, "trigger": "first_purchase", "hold_days": 7},
        {"kind": "self_rebate", "rate_bp": 500, "hold_days": 7},
        {"kind": "distribution", "level_rates_bp": [200, 100], "hold_days": 7},
        {"kind": "training_allowance", "rate_bp": 300, "tier": "phoenix", "hold_days": 7},
    ],
}
PLAN_EXAMPLES: dict[str, Any] = {
    "2026-01": {"summary": "The plan in force from 1 January 2026", "value": PLAN_2026_01}
}


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
    version: Annotated[
        PlanVersion, Path(description="Must equal the document's `version`", examples=["2026-01"])
    ],
    plan: Annotated[Plan, Body(openapi_examples=PLAN_EXAMPLES)],
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
def check_plan(
    plan: Annotated[
        Plan,
        Body(
            openapi_examples={
                **PLAN_EXAMPLES,
                "too deep": {
                    "summary": "Breaks a guardrail: distribution four levels up, above the cap",
                    "value": {
                        **PLAN_2026_01,
                        "version": "2026-02-draft",
                        "max_levels": 4,
                        "rules": [{"kind": "distribution", "level_rates_bp": [300, 200, 100, 100]}],
                    },
                },
            }
        ),
    ],
    ladder: LadderDep,
) -> PlanCheck:
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
