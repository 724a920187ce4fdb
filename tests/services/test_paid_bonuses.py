"""The referral bonus a `paid` trigger grants when an invitee becomes a paid member: once,
re-derived by the audit, and repaired by `refgraph verify` when a crash lost it."""

from __future__ import annotations

import pytest

from app.core.errors import Conflict
from app.domain.plans import DAY_MS
from app.domain.tiers import DEFAULT_LADDER
from app.services.audit import audit_ledger
from app.services.ledger import trace_entry
from app.services.members import mark_member_paid
from app.services.orders import release_due_entries
from app.services.paid_bonuses import repair_paid_bonuses
from app.services.plans import load_plan
from app.store.cypher_store import CypherStore
from tests.engines import run_cypher
from tests.services.test_orders import JAN, NOW, chain, plan

PAID_TRIGGER = [{"kind": "referral_bonus", "amount": 1500, "trigger": "paid", "hold_days": 3}]


def test_becoming_paid_pays_the_inviter_once(store: CypherStore) -> None:
    chain(store, "mum", "kid")
    load_plan(store=store, ladder=DEFAULT_LADDER, plan=plan(rules=PAID_TRIGGER), now=NOW)
    for _ in range(2):
        mark_member_paid(
            store=store, ladder=DEFAULT_LADDER, member_id="kid", paid_at=JAN + DAY_MS, now=JAN
        )
    [entry] = store.paid_bonus_entries()
    assert (entry.id, entry.kind, entry.beneficiary_id, entry.amount) == (
        "p:kid",
        "referral_bonus",
        "mum",
        1500,
    )
    assert (entry.order_id, entry.status, entry.available_from) == (
        None,
        "pending",
        JAN + 4 * DAY_MS,
    )
    assert audit_ledger(store=store, ladder=DEFAULT_LADDER).differences == []
    # No order to be refunded: released once its hold has passed.
    assert release_due_entries(store=store, now=JAN + 4 * DAY_MS - 1) == 0
    assert release_due_entries(store=store, now=JAN + 4 * DAY_MS) == 1
    assert [e.status for e in store.paid_bonus_entries()] == ["available"]
    trace = trace_entry(store=store, entry_id="p:kid")
    assert trace.order is None and trace.sound
    assert [(n.member_id, n.roles) for n in trace.nodes] == [
        ("kid", ["invitee"]),
        ("mum", ["beneficiary"]),
    ]


def test_a_lost_bonus_is_reported_and_repaired(store: CypherStore) -> None:
    chain(store, "mum", "kid")
    load_plan(store=store, ladder=DEFAULT_LADDER, plan=plan(rules=PAID_TRIGGER), now=NOW)
    mark_member_paid(store=store, ladder=DEFAULT_LADDER, member_id="kid", paid_at=JAN, now=JAN)
    run_cypher(store, "MATCH (e:LedgerEntry {id: 'p:kid'}) DELETE e")
    found = audit_ledger(store=store, ladder=DEFAULT_LADDER).differences
    assert [(d.problem, d.entry_id) for d in found] == [("missing", "p:kid")]
    assert repair_paid_bonuses(store=store, ladder=DEFAULT_LADDER, now=NOW) == 1
    assert repair_paid_bonuses(store=store, ladder=DEFAULT_LADDER, now=NOW) == 0
    assert audit_ledger(store=store, ladder=DEFAULT_LADDER).differences == []


def test_no_plan_may_reprice_a_paid_mark_already_made(store: CypherStore) -> None:
    chain(store, "mum", "kid")
    load_plan(store=store, ladder=DEFAULT_LADDER, plan=plan(rules=PAID_TRIGGER), now=NOW)
    mark_member_paid(store=store, ladder=DEFAULT_LADDER, member_id="kid", paid_at=JAN, now=JAN)
    later = plan("p2", JAN - 1, rules=[])
    with pytest.raises(Conflict, match="member kid became paid at"):
        load_plan(store=store, ladder=DEFAULT_LADDER, plan=later, now=NOW)
