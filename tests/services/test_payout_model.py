"""Payouts against an independent model, on the real store: the ledger machine's orders, late
paid marks, refunds and releases, with batches drafted, approved, exported, and their items
paid or failed at random moments in between, so refunds land on entries in a batch and
after they were paid. The model knows no entry: per member, what the released entries add
up to, less the open and the paid items' amounts, is what she has available; a batch pays
every member whose available reaches its minimum. The balance route, the batches and
`refgraph audit` must agree with it after every step."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule
from hypothesis.stateful import run_state_machine_as_test as run_machine

from app.domain.lifecycle import Actor
from app.domain.payouts import ItemFailed, ItemPaid, PayoutCreate
from app.services import payouts
from app.store.cypher_store import CypherStore
from tests.services.test_ledger_model import INVITER, STEPS, LedgerModelMachine

ADMIN = Actor(role="admin", key_id="test")
MINIMUMS = st.sampled_from([1, 1, 500, 5000])


@dataclass
class ModelBatch:
    status: str = "draft"
    items: dict[str, int] = field(default_factory=dict)  # member -> amount
    settled: dict[str, str] = field(default_factory=dict)  # member -> paid | failed


class PayoutModelMachine(LedgerModelMachine):
    def __init__(self) -> None:
        super().__init__()
        self.batches: dict[str, ModelBatch] = {}

    def released(self, member: str) -> int:
        return self.model.balances().get((member, "available"), 0)

    def held(self, member: str) -> int:
        return sum(
            b.items[member]
            for b in self.batches.values()
            if member in b.items and b.settled.get(member) != "failed"
        )

    def paid(self, member: str) -> int:
        return sum(
            b.items[member] for b in self.batches.values() if b.settled.get(member) == "paid"
        )

    @rule(minimum=MINIMUMS, step=STEPS)
    def draft_a_batch(self, minimum: int, step: int) -> None:
        self.clock += step
        batch_id = f"b{len(self.batches)}"
        create = PayoutCreate(id=batch_id, as_of=self.clock, currency="CNY", minimum=minimum)
        payout, created = payouts.create_payout(
            store=self.store, create=create, actor=ADMIN, now=self.clock
        )
        assert created
        expected = ModelBatch()
        for member in INVITER:
            available = self.released(member) - self.held(member)
            if available >= minimum:
                expected.items[member] = available
        assert {item.member_id: item.amount for item in payout.items} == expected.items
        owing = {s.member_id for s in payout.skipped}
        assert owing == {m for m in INVITER if self.released(m) - self.held(m) < 0}
        self.batches[batch_id] = expected

    @precondition(lambda self: any(b.status == "draft" for b in self.batches.values()))
    @rule(data=st.data())
    def approve_and_export(self, data: st.DataObject) -> None:
        batch_id = data.draw(st.sampled_from(sorted(self.drafts())))
        payouts.approve_payout(store=self.store, payout_id=batch_id, actor=ADMIN, now=self.clock)
        payouts.export_payout(store=self.store, payout_id=batch_id, actor=ADMIN, now=self.clock)
        self.batches[batch_id].status = "exported"

    def drafts(self) -> list[str]:
        return [k for k, b in self.batches.items() if b.status == "draft"]

    def open_items(self) -> list[tuple[str, str]]:
        return sorted(
            (k, member)
            for k, b in self.batches.items()
            if b.status == "exported"
            for member in b.items
            if member not in b.settled
        )

    @precondition(lambda self: bool(self.open_items()))
    @rule(data=st.data(), paid=st.booleans(), step=STEPS)
    def settle_an_item(self, data: st.DataObject, paid: bool, step: int) -> None:
        self.clock += step
        batch_id, member = data.draw(st.sampled_from(self.open_items()))
        if paid:
            payouts.mark_item_paid(
                store=self.store, payout_id=batch_id, member_id=member,
                paid=ItemPaid(reference=f"T-{batch_id}-{member}"), actor=ADMIN, now=self.clock,
            )  # fmt: skip
        else:
            payouts.mark_item_failed(
                store=self.store, payout_id=batch_id, member_id=member,
                failed=ItemFailed(reason="refused"), actor=ADMIN, now=self.clock,
            )  # fmt: skip
        self.batches[batch_id].settled[member] = "paid" if paid else "failed"

    @invariant()
    def every_balance_is_the_models(self) -> None:
        for member in INVITER:
            balance = payouts.get_balance(store=self.store, member_id=member).balances
            found = {
                (b.pending, b.available, b.in_payout, b.paid)
                for b in balance
                if b.currency == "CNY"
            }
            pending = self.model.balances().get((member, "pending"), 0)
            released, held, paid = self.released(member), self.held(member), self.paid(member)
            want = (pending, released - held, held - paid, paid)
            assert found == ({want} if any(want) or balance else set()), member


@pytest.mark.slow
def test_payouts_follow_their_model_through_refunds_releases_and_failures(
    store: CypherStore,
) -> None:
    PayoutModelMachine.store = store
    run_machine(
        PayoutModelMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
