"""What-if simulations: nothing they compute is written."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from app.api.deps import GrowthTeam, LadderDep, StoreDep
from app.api.problems import problem_responses
from app.domain.simulation import TierProposal, TierSimulation
from app.services.simulation import simulate_tiers

router = APIRouter(prefix="/v1/simulations", tags=["simulations"])


@router.post(
    "/tiers",
    dependencies=[GrowthTeam],
    response_model_by_alias=True,
    responses=problem_responses(401, 403, 413, 422),
)
def simulate_tier_ladder(
    proposal: Annotated[
        TierProposal,
        Body(
            openapi_examples={
                "lower thresholds": {
                    "summary": "Each tier reached with fewer paid invites, priced over November",
                    "value": {
                        "ladder": [
                            {"tier": "bee", "min_paid_invites": 0},
                            {"tier": "butterfly", "min_paid_invites": 3},
                            {"tier": "peacock", "min_paid_invites": 15},
                            {"tier": "phoenix", "min_paid_invites": 40},
                        ],
                        "period": {
                            "from": "2026-11-01T00:00:00+08:00",
                            "to": "2026-12-01T00:00:00+08:00",
                        },
                    },
                }
            }
        ),
    ],
    store: StoreDep,
    ladder: LadderDep,
) -> TierSimulation:
    """Who would move between tiers under the proposed thresholds (counts, up to 20 ids per
    move), and the period's training allowance re-priced with the tier each trainer would
    have held at each order's time (before refunds). Nothing is written."""
    return simulate_tiers(store=store, ladder=ladder, proposal=proposal)
