"""The tier what-if: reads counters, orders and the ledger; writes nothing."""

from __future__ import annotations

from app.core.errors import InvalidInput
from app.core.validation import readable
from app.domain.simulation import (
    AllowanceCost,
    TierMove,
    TierProposal,
    TierSimulation,
    allowance_under,
    paid_range,
    tier_moves,
)
from app.domain.tiers import TierLadder
from app.store.port import GraphStore


def simulate_tiers(
    *, store: GraphStore, ladder: TierLadder, proposal: TierProposal
) -> TierSimulation:
    try:
        proposed = proposal.proposed_ladder()
    except ValueError as error:
        # readable: str() of a pydantic error is "1 validation error for TierLadder …".
        reason = readable(error)
        raise InvalidInput(f"the proposed ladder is not valid: {reason}", field="ladder") from error
    names = {step.tier for step in ladder.steps}
    if {step.tier for step in proposed.steps} != names:
        raise InvalidInput(
            "the proposed ladder must name every tier of the ladder in force: "
            + ", ".join(step.tier for step in ladder.steps),
            field="ladder",
        )
    now, then, moves = tier_moves(store.tier_groups(), ladder, proposed)
    listed = [
        TierMove.model_validate(
            {
                "from": tier,
                "to": target,
                "count": count,
                "sample": store.move_sample(tier, *paid_range(proposed, target)),
            }
        )
        for (tier, target), count in sorted(moves.items())
    ]
    orders = store.period_orders(proposal.period.from_, proposal.period.to)
    trainers = store.trainers(sorted({source for *_, source in orders}))
    current = store.allowance_paid([order_id for order_id, *_ in orders])
    repriced = allowance_under(proposed, store.plans(), orders, trainers)
    return TierSimulation(
        current=now,
        proposed=then,
        moves=listed,
        allowance_cost=AllowanceCost(current=current, proposed=repriced, delta=repriced - current),
    )
