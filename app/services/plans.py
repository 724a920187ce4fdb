"""Commission plan use cases: check a plan, load a version, list the versions."""

from __future__ import annotations

from pydantic import BaseModel

from app.core.errors import Conflict, InvalidInput
from app.domain.ledger import plan_in_force
from app.domain.plans import Plan, PlanLint, Violation, lint_plan, plan_violations
from app.domain.tiers import TierLadder
from app.domain.units import iso_moment
from app.store.port import GraphStore


class PlanCheck(BaseModel):
    """`refgraph plan check`'s answer: loadable or not, and the lint either way."""

    loadable: bool
    violations: list[Violation]
    lint: PlanLint


class PlanLoaded(BaseModel):
    plan: Plan
    lint: PlanLint


def check_plan(plan: Plan, ladder: TierLadder) -> PlanCheck:
    violations = plan_violations(plan, ladder)
    return PlanCheck(loadable=not violations, violations=violations, lint=lint_plan(plan))


def refuse_if_illegal(plan: Plan, ladder: TierLadder) -> None:
    violations = plan_violations(plan, ladder)
    if violations:
        raise InvalidInput(
            f"plan {plan.version} is refused: " + "; ".join(v.message for v in violations),
            violations=[v.model_dump() for v in violations],
        )


def load_plan(
    *, store: GraphStore, ladder: TierLadder, plan: Plan, now: int
) -> tuple[PlanLoaded, bool]:
    """Returns the loaded plan with its lint, and whether this call stored it (loading the
    same document again stores nothing). A refused plan leaves the plans in force as they
    were."""
    refuse_if_illegal(plan, ladder)
    for _ in range(2):
        versions = store.plans()
        same_version = next((p for p in versions if p.version == plan.version), None)
        if same_version is not None:
            if same_version != plan:
                raise Conflict(
                    f"plan version {plan.version} is loaded with a different document; "
                    "a version never changes: load a new version",
                    version=plan.version,
                )
            return PlanLoaded(plan=same_version, lint=lint_plan(same_version)), False
        same_time = next((p for p in versions if p.effective_from == plan.effective_from), None)
        if same_time is not None:
            raise Conflict(
                f"plan version {same_time.version} already takes effect at "
                f"{iso_moment(plan.effective_from)}",
                version=same_time.version,
            )
        if plan.pays_on_paid_mark or _in_force_pays_on_paid_mark(versions, plan.effective_from):
            paid = store.first_paid_from(plan.effective_from)
            if paid is not None:
                raise Conflict(
                    f"member {paid[0]} became paid at {iso_moment(paid[1])}, an event a "
                    "referral bonus pays for; a plan taking effect at "
                    f"{iso_moment(plan.effective_from)} would re-price "
                    "it (no retroactive plans)",
                    member_id=paid[0],
                )
        later = store.first_order_from(plan.effective_from)
        if later is not None:
            raise Conflict(
                f"order {later[0]} placed at {iso_moment(later[1])} is already priced; a plan "
                f"taking effect at {iso_moment(plan.effective_from)} would re-price it (no "
                "retroactive plans)",
                order_id=later[0],
            )
        if store.put_plan(plan, now):
            return PlanLoaded(plan=plan, lint=lint_plan(plan)), True
    raise Conflict(f"loading plan {plan.version} kept racing with other writes; retry it")


def _in_force_pays_on_paid_mark(versions: list[Plan], at: int) -> bool:
    plan = plan_in_force(versions, at)
    return plan is not None and plan.pays_on_paid_mark


def list_plans(*, store: GraphStore) -> list[Plan]:
    return store.plans()
