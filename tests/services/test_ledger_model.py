"""The ledger against an independent model of amounts and statuses, on the real store: orders
posted late and in the same millisecond, paid marks posted late (backdated past orders
already priced), partial and full refunds, and releases at random moments, one of them
between a refund's read and its write. The model is plain arithmetic written from the
plan's rules (README, "The commission ledger"), not the domain functions `refgraph audit`
replays; the audit must agree with it after every step as well."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from hypothesis.stateful import run_state_machine_as_test as run_machine

from app.domain.ledger import OrderCreate, RefundCreate
from app.domain.members import MemberCreate
from app.domain.plans import DAY_MS, Plan
from app.domain.simulation import TierProposal
from app.domain.tiers import TierLadder, TierStep
from app.services.audit import audit_ledger
from app.services.members import mark_member_paid, register_member
from app.services.orders import post_order, post_refund, release_due_entries
from app.services.plans import load_plan
from app.services.simulation import simulate_tiers
from app.store.cypher_store import CypherStore
from app.store.port import GraphStore
from tests.store.test_properties import reset

LADDER = TierLadder(
    steps=(TierStep(tier="bee", min_paid_invites=0), TierStep(tier="phoenix", min_paid_invites=2))
)
# r ← a ← b ← c, a ← d, a ← e, b ← f: a trains b, d and e; b trains c and f.
INVITER = {"r": None, "a": "r", "b": "a", "c": "b", "d": "a", "e": "a", "f": "b"}
MEMBERS = st.sampled_from(sorted(INVITER))
REBATE_BP, LEVEL_BP, ALLOWANCE_BP = 500, (200, 100), 300
REBATE_HOLD, LEVEL_HOLD, ALLOWANCE_HOLD = 1, 0, 2  # days
START = 10 * DAY_MS
# Few distinct values, so that times and amounts tie often.
LAGS = st.sampled_from([0, 0, 1000, DAY_MS, 3 * DAY_MS])
AMOUNTS = st.sampled_from([1, 999, 1000, 5000, 5000, 33_333])
# How far the clock moves before each step: often not at all, often past a hold.
STEPS = st.sampled_from([0, 0, 1000, DAY_MS, 2 * DAY_MS])


@dataclass
class Original:
    kind: str
    beneficiary: str
    amount: int
    available_from: int
    released: bool
    reversed: int = 0

    @property
    def status(self) -> str:
        return "available" if self.released else "pending"


@dataclass
class ModelOrder:
    buyer: str
    amount: int
    placed_at: int
    originals: list[Original]
    refunded: int = 0

    @property
    def fully_refunded(self) -> bool:
        return self.refunded == self.amount


@dataclass
class Model:
    """Amounts and statuses by the plan's arithmetic: an order's originals are floored shares,
    a refund of r takes floor(e * r / A) of each (the last one what is left), a reversal
    always has its original's status, and an original is released once a release runs at
    or after its hold's end while its order is not refunded in full."""

    orders: dict[str, ModelOrder] = field(default_factory=dict)
    paid_at: dict[str, int] = field(default_factory=dict)  # marks, in the order they were posted

    def trainer_is_phoenix(self, trainer: str, at: int) -> bool:
        paid = [m for m, t in self.paid_at.items() if INVITER[m] == trainer and t <= at]
        return len(paid) >= LADDER.steps[1].min_paid_invites

    def post(self, order_id: str, buyer: str, amount: int, placed_at: int, now: int) -> None:
        grants = [("self_rebate", buyer, amount * REBATE_BP // 10_000, REBATE_HOLD)]
        up, ancestors = INVITER[buyer], list[str]()
        while up is not None and len(ancestors) < len(LEVEL_BP):
            ancestors.append(up)
            up = INVITER[up]
        grants += [
            ("distribution", a, amount * bp // 10_000, LEVEL_HOLD)
            for a, bp in zip(ancestors, LEVEL_BP, strict=False)
        ]
        trainer = INVITER[buyer]
        allowance = amount * ALLOWANCE_BP // 10_000
        if trainer is not None and self.trainer_is_phoenix(trainer, placed_at):
            grants.append(("training_allowance", trainer, allowance, ALLOWANCE_HOLD))
        originals = [
            Original(kind, who, share, placed_at + hold * DAY_MS, now >= placed_at + hold * DAY_MS)
            for kind, who, share, hold in grants
            if share > 0
        ]
        self.orders[order_id] = ModelOrder(buyer, amount, placed_at, originals)

    def refund(self, order_id: str, amount: int) -> None:
        order = self.orders[order_id]
        order.refunded += amount
        for original in order.originals:
            if order.fully_refunded:
                original.reversed = original.amount
            else:
                original.reversed += original.amount * amount // order.amount

    def release(self, now: int) -> None:
        for order in self.orders.values():
            for original in order.originals:
                if original.available_from <= now and not order.fully_refunded:
                    original.released = True

    def balances(self) -> dict[tuple[str, str], int]:
        found: dict[tuple[str, str], int] = {}
        for order in self.orders.values():
            for o in order.originals:
                key = (o.beneficiary, o.status)
                found[key] = found.get(key, 0) + o.amount - o.reversed
        return {key: amount for key, amount in found.items() if amount}

    def allowance(self, *, every_mark_known: bool) -> int:
        """The training allowance of every order before refunds: as priced (the marks known
        when each order was posted), or with every mark known now."""
        total = 0
        for order in self.orders.values():
            trainer = INVITER[order.buyer]
            if every_mark_known:
                phoenix = trainer is not None and self.trainer_is_phoenix(trainer, order.placed_at)
                total += order.amount * ALLOWANCE_BP // 10_000 if phoenix else 0
            else:
                total += sum(o.amount for o in order.originals if o.kind == "training_allowance")
        return total


class ReleasesBeforeRefundWrites:
    """The store, but each refund write is preceded by a release at `now`: what the releaser
    thread can do between a refund's read and its write."""

    def __init__(self, store: CypherStore, now: int) -> None:
        self._store, self._now = store, now

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def record_refund(self, *args: Any, **kwargs: Any) -> bool:
        release_due_entries(store=self._store, now=self._now)
        return self._store.record_refund(*args, **kwargs)


class LedgerModelMachine(RuleBasedStateMachine):
    store: CypherStore

    def __init__(self) -> None:
        super().__init__()
        self.clock = START
        self.model = Model()

    @initialize()
    def a_network_and_a_plan(self) -> None:
        reset(self.store)
        for member, inviter in INVITER.items():
            register_member(
                store=self.store,
                ladder=LADDER,
                request=MemberCreate(id=member, inviter_id=inviter, joined_at=1),
                now=1,
            )
        plan = Plan.model_validate({
            "version": "v1", "effective_from": 0, "currency": "CNY", "max_levels": 2,
            "rate_ceiling_bp": 2000, "rules": [
                {"kind": "self_rebate", "rate_bp": REBATE_BP, "hold_days": REBATE_HOLD},
                {"kind": "distribution", "level_rates_bp": list(LEVEL_BP),
                 "hold_days": LEVEL_HOLD},
                {"kind": "training_allowance", "rate_bp": ALLOWANCE_BP, "tier": "phoenix",
                 "hold_days": ALLOWANCE_HOLD},
            ],
        })  # fmt: skip
        load_plan(store=self.store, ladder=LADDER, plan=plan, now=1)

    @rule(buyer=MEMBERS, amount=AMOUNTS, lag=LAGS, step=STEPS)
    def post_an_order(self, buyer: str, amount: int, lag: int, step: int) -> None:
        self.clock += step
        order_id = f"o{len(self.model.orders)}"
        placed_at = self.clock - lag
        request = OrderCreate(
            id=order_id, buyer_id=buyer, amount=amount, currency="CNY", placed_at=placed_at
        )
        post_order(store=self.store, ladder=LADDER, request=request, now=self.clock)
        self.model.post(order_id, buyer, amount, placed_at, self.clock)

    @rule(member=MEMBERS, lag=LAGS, step=STEPS)
    def mark_paid(self, member: str, lag: int, step: int) -> None:
        self.clock += step
        if member in self.model.paid_at:
            return
        paid_at = self.clock - lag  # often before orders already priced
        mark_member_paid(
            store=self.store, ladder=LADDER, member_id=member, paid_at=paid_at, now=self.clock
        )
        self.model.paid_at[member] = paid_at

    @precondition(lambda self: bool(self.model.orders))
    @rule(data=st.data(), whole=st.booleans(), lag=LAGS, step=STEPS, meanwhile=st.booleans())
    def refund(
        self, data: st.DataObject, whole: bool, lag: int, step: int, meanwhile: bool
    ) -> None:
        self.clock += step
        open_orders = sorted(k for k, o in self.model.orders.items() if not o.fully_refunded)
        if not open_orders:
            return
        order_id = data.draw(st.sampled_from(open_orders))
        order = self.model.orders[order_id]
        left = order.amount - order.refunded
        amount = left if whole or left == 1 else data.draw(st.integers(1, left - 1))
        request = RefundCreate(
            id=f"{order_id}-r{order.refunded}",
            amount=amount,
            refunded_at=max(order.placed_at, self.clock - lag),
        )
        store: GraphStore = self.store
        if meanwhile:
            store = cast(GraphStore, ReleasesBeforeRefundWrites(self.store, self.clock))
            self.model.release(self.clock)
        post_refund(store=store, ladder=LADDER, order_id=order_id, request=request, now=self.clock)
        self.model.refund(order_id, amount)

    @rule(step=STEPS)
    def release(self, step: int) -> None:
        self.clock += step
        release_due_entries(store=self.store, now=self.clock)
        self.model.release(self.clock)

    @invariant()
    def amounts_and_statuses_are_the_models(self) -> None:
        entries = self.store.entries_of_orders(sorted(self.model.orders))
        balances: dict[tuple[str, str], int] = {}
        for entry in entries:
            key = (entry.beneficiary_id, entry.status)
            balances[key] = balances.get(key, 0) + entry.amount
        assert {k: v for k, v in balances.items() if v} == self.model.balances()
        status = {entry.id: entry.status for entry in entries}
        for entry in entries:
            if entry.reverses is not None:
                assert entry.status == status[entry.reverses], entry.id
            if entry.status == "available":
                assert entry.released_at is not None
                assert entry.released_at >= entry.available_from, entry.id

    @invariant()
    def no_refunded_order_leaves_money(self) -> None:
        refunded = sorted(k for k, o in self.model.orders.items() if o.fully_refunded)
        left: dict[tuple[str | None, str], int] = {}
        for entry in self.store.entries_of_orders(refunded):
            left[(entry.order_id, entry.status)] = left.get((entry.order_id, entry.status), 0)
            left[(entry.order_id, entry.status)] += entry.amount
        assert {key: amount for key, amount in left.items() if amount} == {}

    @invariant()
    def the_audit_agrees(self) -> None:
        report = audit_ledger(store=self.store, ladder=LADDER)
        assert report.differences == []

    @precondition(lambda self: bool(self.model.orders))
    @invariant()
    def the_what_if_prices_the_allowance_as_the_ledger_and_the_marks_do(self) -> None:
        proposal = TierProposal.model_validate(
            {
                "ladder": [step.model_dump() for step in LADDER.steps],
                "period": {"from": 0, "to": self.clock + 1},
            }
        )
        cost = simulate_tiers(store=self.store, ladder=LADDER, proposal=proposal).allowance_cost
        assert cost.current == self.model.allowance(every_mark_known=False)
        assert cost.proposed == self.model.allowance(every_mark_known=True)


@pytest.mark.slow
def test_the_ledger_follows_its_model_through_late_events_and_releases(
    store: CypherStore,
) -> None:
    LedgerModelMachine.store = store
    run_machine(
        LedgerModelMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
