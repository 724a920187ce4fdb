"""Random orders, refunds, paid marks and plan changes against the real store: the ledger
always equals the one re-derived from the orders, never reaches past the level cap, never
pays one event twice, and reversals never create or lose money."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from hypothesis.stateful import run_state_machine_as_test as run_machine

from app.core.errors import InvalidInput
from app.domain.ledger import OrderCreate, RefundCreate
from app.domain.members import NewMemberRow, PaidRow
from app.domain.plans import HARD_MAX_LEVELS, Plan, plan_violations
from app.domain.tiers import TierLadder, TierStep
from app.services.audit import audit_ledger
from app.services.orders import post_order, post_refund
from app.services.plans import load_plan
from app.store.cypher_store import CypherStore
from tests.store.test_properties import reset

LADDER = TierLadder(
    steps=(
        TierStep(tier="bee", min_paid_invites=0),
        TierStep(tier="peacock", min_paid_invites=1),
        TierStep(tier="phoenix", min_paid_invites=2),
    )
)
# r ← a ← b ← c ← d ← e, and a ← f, a ← g, f ← h: a chain past the cap and a wide node.
INVITER = {"r": None, "a": "r", "b": "a", "c": "b", "d": "c", "e": "d", "f": "a", "g": "a",
           "h": "f"}  # fmt: skip
MEMBERS = st.sampled_from(sorted(INVITER))
BP = st.integers(0, 1000)
TIER_RATES = st.dictionaries(st.sampled_from(["bee", "peacock", "phoenix"]), BP, max_size=2)
RULES = st.lists(
    st.one_of(
        st.fixed_dictionaries({"kind": st.just("referral_bonus"), "amount": st.integers(0, 3000),
                               "hold_days": st.integers(0, 2)}),
        st.fixed_dictionaries({"kind": st.just("self_rebate"), "rate_bp": BP,
                               "tier_rates_bp": TIER_RATES}),
        st.fixed_dictionaries({"kind": st.just("sales_commission"), "rate_bp": BP}),
        st.fixed_dictionaries({"kind": st.just("distribution"),
                               "level_rates_bp": st.lists(BP, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"kind": st.just("training_allowance"), "rate_bp": BP,
                               "tier": st.sampled_from(["peacock", "phoenix"])}),
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda rule: str(rule["kind"]),
)  # fmt: skip


class LedgerMachine(RuleBasedStateMachine):
    store: CypherStore

    def __init__(self) -> None:
        super().__init__()
        self.clock = 10_000
        self.orders: dict[str, int] = {}  # id → amount
        self.refunded: dict[str, int] = {}
        self.paid: set[str] = set()
        self.plans = 0

    @initialize()
    def network_and_a_plan_with_every_kind_of_rule(self) -> None:
        reset(self.store)
        for member, inviter in INVITER.items():
            row = NewMemberRow(
                id=member, inviter_id=inviter, name=None, joined_at=1, attributes_json=None
            )
            assert self.store.register_members([row], LADDER) == [member]
        self.load_a_plan(rules=[
            {"kind": "referral_bonus", "amount": 500},
            {"kind": "self_rebate", "rate_bp": 300, "tier_rates_bp": {"phoenix": 500}},
            {"kind": "sales_commission", "rate_bp": 1000},
            {"kind": "distribution", "level_rates_bp": [200, 100, 50]},
            {"kind": "training_allowance", "rate_bp": 300, "tier": "peacock"},
        ], max_levels=3, ceiling=3000)  # fmt: skip
        assert self.plans == 1

    def tick(self) -> int:
        self.clock += 1000
        return self.clock

    @rule(rules=RULES, max_levels=st.integers(1, 3), ceiling=st.integers(2000, 10_000))
    def load_a_plan(self, rules: list[dict[str, object]], max_levels: int, ceiling: int) -> None:
        plan = Plan.model_validate({
            "version": f"v{self.plans}", "effective_from": self.tick(), "currency": "CNY",
            "max_levels": max_levels, "rate_ceiling_bp": ceiling, "rules": rules,
        })  # fmt: skip
        if plan_violations(plan, LADDER):
            with pytest.raises(InvalidInput):
                load_plan(store=self.store, ladder=LADDER, plan=plan, now=self.clock)
        else:
            load_plan(store=self.store, ladder=LADDER, plan=plan, now=self.clock)
            self.plans += 1

    @rule(buyer=MEMBERS, sharer=st.one_of(st.none(), MEMBERS), amount=st.integers(1, 100_000))
    def post_an_order(self, buyer: str, sharer: str | None, amount: int) -> None:
        order_id = f"o{len(self.orders)}"
        request = OrderCreate(id=order_id, buyer_id=buyer, amount=amount, currency="CNY",
                              placed_at=self.tick(), shared_by=sharer)  # fmt: skip
        posted, created = post_order(
            store=self.store, ladder=LADDER, request=request, now=self.clock
        )
        again, created_again = post_order(
            store=self.store, ladder=LADDER, request=request, now=self.clock + 1
        )
        assert created and not created_again and again == posted
        self.orders[order_id] = amount

    @precondition(lambda self: bool(self.orders))
    @rule(data=st.data(), share=st.floats(0.01, 1.2))
    def refund_part(self, data: st.DataObject, share: float) -> None:
        order_id = data.draw(st.sampled_from(sorted(self.orders)))
        amount, done = self.orders[order_id], self.refunded.get(order_id, 0)
        assume(done < amount)
        refund = RefundCreate(
            id=f"{order_id}-r{self.clock}", amount=max(1, int(amount * share)),
            refunded_at=self.tick(),
        )  # fmt: skip
        if refund.amount > amount - done:
            with pytest.raises(InvalidInput):
                post_refund(
                    ladder=LADDER,
                    store=self.store,
                    order_id=order_id,
                    request=refund,
                    now=self.clock,
                )
            return
        post_refund(
            ladder=LADDER, store=self.store, order_id=order_id, request=refund, now=self.clock
        )
        self.refunded[order_id] = done + refund.amount

    @rule(member=MEMBERS)
    def mark_paid(self, member: str) -> None:
        self.store.mark_paid([PaidRow(id=member, paid_at=self.tick())], LADDER)
        self.paid.add(member)

    @invariant()
    def ledger_equals_its_rederivation(self) -> None:
        report = audit_ledger(store=self.store, ladder=LADDER)
        assert report.differences == []
        assert report.orders == len(self.orders)

    @precondition(lambda self: bool(self.orders))
    @invariant()
    def capped_once_per_event_and_money_conserved(self) -> None:
        entries = self.store.entries_of_orders(sorted(self.orders))
        assert len({e.id for e in entries}) == len(entries)
        assert all(e.path[-1].hop <= HARD_MAX_LEVELS for e in entries)
        originals = {e.id: e for e in entries if e.reverses is None}
        assert len({(e.order_id, e.rule, e.beneficiary_id) for e in originals.values()}) == len(
            originals
        )
        taken: dict[str, int] = {}
        for e in entries:
            if e.reverses is not None:
                assert e.amount <= 0 and e.kind == originals[e.reverses].kind
                taken[e.reverses] = taken.get(e.reverses, 0) - e.amount
        for entry_id, original in originals.items():
            assert original.amount > 0
            assert 0 <= taken.get(entry_id, 0) <= original.amount
            assert original.order_id is not None
            if self.refunded.get(original.order_id) == self.orders[original.order_id]:
                assert taken[entry_id] == original.amount
        # The referral bonus: at most one live bonus per invitee.
        live: dict[str, int] = {}
        for original in originals.values():
            if original.kind == "referral_bonus" and taken.get(original.id, 0) < original.amount:
                live[original.buyer_id] = live.get(original.buyer_id, 0) + 1
        assert all(count == 1 for count in live.values())


@pytest.mark.slow
def test_random_ledger_operations_keep_the_ledger_sound(store: CypherStore) -> None:
    LedgerMachine.store = store
    run_machine(
        LedgerMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
