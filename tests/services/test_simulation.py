"""The tier what-if on both backends: moves with samples, and the training allowance
re-priced under a proposed ladder, against the ledger the service wrote."""

from __future__ import annotations

import pytest

from app.core.errors import InvalidInput
from app.domain.members import NewMemberRow, PaidRow
from app.domain.plans import DAY_MS
from app.domain.simulation import TierProposal
from app.domain.tiers import TierLadder, TierStep
from app.services.orders import post_order
from app.services.plans import load_plan
from app.services.simulation import simulate_tiers
from app.store.cypher_store import CypherStore
from tests.services.test_orders import JAN, NOW, order, plan

LADDER = TierLadder(
    steps=(
        TierStep(tier="bee", min_paid_invites=0),
        TierStep(tier="butterfly", min_paid_invites=2),
        TierStep(tier="phoenix", min_paid_invites=3),
    )
)
PERIOD = {"from": JAN, "to": JAN + 31 * DAY_MS}


def proposal(butterfly: int, phoenix: int) -> TierProposal:
    return TierProposal.model_validate(
        {
            "ladder": [
                {"tier": "bee", "min_paid_invites": 0},
                {"tier": "butterfly", "min_paid_invites": butterfly},
                {"tier": "phoenix", "min_paid_invites": phoenix},
            ],
            "period": PERIOD,
        }
    )


def network(store: CypherStore) -> None:
    """trainer invited k1..k4 (k1..k3 paid on the 2nd, 5th and 20th); m invited j (paid)."""
    rows = [("trainer", None), ("k1", "trainer"), ("k2", "trainer"), ("k3", "trainer"),
            ("k4", "trainer"), ("m", None), ("j", "m")]  # fmt: skip
    for member, inviter in rows:
        row = NewMemberRow(
            id=member, inviter_id=inviter, name=None, joined_at=JAN - DAY_MS, attributes_json=None
        )
        assert store.register_members([row], LADDER) == [member]
    for member, day in (("k1", 2), ("k2", 5), ("k3", 20), ("j", 3)):
        store.mark_paid([PaidRow(id=member, paid_at=JAN + day * DAY_MS)], LADDER)
    rules = [{"kind": "training_allowance", "rate_bp": 300, "tier": "phoenix"}]
    load_plan(store=store, ladder=LADDER, plan=plan(rules=rules), now=NOW)
    # k4 buys on the 10th (the trainer has 2 paid invites) and the 25th (3).
    for order_id, day in (("mid", 10), ("late", 25)):
        request = order(order_id, "k4", placed_at=JAN + day * DAY_MS)
        post_order(store=store, ladder=LADDER, request=request, now=NOW)


def test_a_lower_phoenix_moves_members_and_pays_allowance_earlier(store: CypherStore) -> None:
    network(store)
    result = simulate_tiers(store=store, ladder=LADDER, proposal=proposal(1, 2))
    assert result.current == {"bee": 6, "butterfly": 0, "phoenix": 1}
    # m (1 paid invite) becomes a butterfly; the trainer (3) stays phoenix.
    assert result.proposed == {"bee": 5, "butterfly": 1, "phoenix": 1}
    assert [(m.from_, m.to, m.count, m.sample) for m in result.moves] == [
        ("bee", "butterfly", 1, ["m"])
    ]
    # Now: only the order of the 25th pays (300 on 10000); proposed: the 10th's too.
    assert result.allowance_cost.model_dump() == {"current": 300, "proposed": 600, "delta": 300}


def test_the_ladder_in_force_reproduces_the_ledger(store: CypherStore) -> None:
    network(store)
    result = simulate_tiers(store=store, ladder=LADDER, proposal=proposal(2, 3))
    assert result.moves == [] and result.current == result.proposed
    assert result.allowance_cost.model_dump() == {"current": 300, "proposed": 300, "delta": 0}


def test_a_higher_phoenix_costs_less_and_demotes(store: CypherStore) -> None:
    network(store)
    result = simulate_tiers(store=store, ladder=LADDER, proposal=proposal(2, 4))
    assert [(m.from_, m.to, m.count, m.sample) for m in result.moves] == [
        ("phoenix", "butterfly", 1, ["trainer"])
    ]
    assert result.allowance_cost.model_dump() == {"current": 300, "proposed": 0, "delta": -300}


def test_a_proposal_must_name_every_tier(store: CypherStore) -> None:
    partial = TierProposal.model_validate(
        {"ladder": [{"tier": "bee", "min_paid_invites": 0}], "period": PERIOD}
    )
    with pytest.raises(InvalidInput, match="every tier of the ladder in force: bee, butterfly"):
        simulate_tiers(store=store, ladder=LADDER, proposal=partial)
    with pytest.raises(InvalidInput, match="strictly increasing"):
        simulate_tiers(store=store, ladder=LADDER, proposal=proposal(3, 3))
