"""Orders and refunds written with their ledger entries: the worked examples, by hand."""

from __future__ import annotations

import pytest

from app.core.errors import Conflict, InvalidInput, NotFound
from app.domain.ledger import LedgerEntry, OrderCreate, RefundCreate
from app.domain.members import NewMemberRow, PaidRow
from app.domain.plans import DAY_MS, Plan
from app.domain.tiers import DEFAULT_LADDER, TierLadder, TierStep
from app.services.audit import audit_ledger
from app.services.orders import (
    OrderPosted,
    RefundPosted,
    post_order,
    post_orders,
    post_refund,
    release_due_entries,
)
from app.services.plans import load_plan
from app.store.cypher_store import CypherStore

JAN = 1_767_225_600_000  # 2026-01-01T00:00Z
NOW = JAN + 100 * DAY_MS


def plan(version: str = "p1", effective_from: int = JAN - DAY_MS, **fields: object) -> Plan:
    document: dict[str, object] = {
        "version": version,
        "effective_from": effective_from,
        "currency": "CNY",
        "max_levels": 3,
        "rate_ceiling_bp": 3000,
        "rules": [],
    }
    document.update(fields)
    return Plan.model_validate(document)


def chain(store: CypherStore, *ids: str, joined_at: int = JAN - 30 * DAY_MS) -> None:
    """Registers ids[0] as a root and each next one invited by the one before."""
    for inviter, member in zip((None, *ids), ids, strict=False):
        row = NewMemberRow(
            id=member, inviter_id=inviter, name=None, joined_at=joined_at, attributes_json=None
        )
        assert store.register_members([row], DEFAULT_LADDER) == [member]


def order(order_id: str, buyer: str, amount: int = 10_000, **fields: object) -> OrderCreate:
    return OrderCreate.model_validate(
        {
            "id": order_id,
            "buyer_id": buyer,
            "amount": amount,
            "currency": "CNY",
            "placed_at": JAN,
            **fields,
        }
    )


def refund(
    store: CypherStore, order_id: str, refund_id: str, amount: int, *, at: int
) -> RefundPosted:
    posted, _ = post_refund(
        ladder=DEFAULT_LADDER,
        store=store,
        order_id=order_id,
        request=RefundCreate(id=refund_id, amount=amount, refunded_at=at),
        now=NOW,
    )
    return posted


def paid_to(entries: list[LedgerEntry]) -> dict[tuple[str, str], int]:
    return {(e.kind, e.beneficiary_id): e.amount for e in entries}


def test_worked_example_shared_sale_pays_sharer_and_two_levels(store: CypherStore) -> None:
    chain(store, "top", "mid", "a")
    chain(store, "customer")
    load_plan(
        store=store,
        ladder=DEFAULT_LADDER,
        plan=plan(
            rules=[
                {"kind": "sales_commission", "rate_bp": 1000},
                {"kind": "distribution", "level_rates_bp": [200, 100]},
            ]
        ),
        now=NOW,
    )
    posted, created = post_order(
        store=store, ladder=DEFAULT_LADDER, request=order("o1", "customer", shared_by="a"), now=NOW
    )
    assert created
    assert paid_to(posted.entries) == {
        ("sales_commission", "a"): 1000,
        ("distribution", "mid"): 200,
        ("distribution", "top"): 100,
    }
    top = next(e for e in posted.entries if e.beneficiary_id == "top")
    assert [(s.member_id, s.hop) for s in top.path] == [("a", 0), ("mid", 1), ("top", 2)]
    assert top.plan_version == "p1" and top.rule == 1 and top.tier_at_event == "bee"


def test_retry_returns_the_original_and_writes_nothing(store: CypherStore) -> None:
    chain(store, "a", "b")
    load_plan(
        store=store,
        ladder=DEFAULT_LADDER,
        plan=plan(rules=[{"kind": "self_rebate", "rate_bp": 500}]),
        now=NOW,
    )
    first, created = post_order(
        store=store, ladder=DEFAULT_LADDER, request=order("o1", "b"), now=NOW
    )
    again, created_again = post_order(
        store=store, ladder=DEFAULT_LADDER, request=order("o1", "b"), now=NOW + 1
    )
    assert created and not created_again
    assert again == first
    assert len(store.entries_of_orders(["o1"])) == 1
    with pytest.raises(Conflict, match="amount"):
        post_order(store=store, ladder=DEFAULT_LADDER, request=order("o1", "b", 999), now=NOW)


def test_partial_then_full_refund_nets_every_entry_to_zero(store: CypherStore) -> None:
    chain(store, "top", "mid", "a")
    load_plan(
        store=store,
        ladder=DEFAULT_LADDER,
        plan=plan(
            rules=[
                {"kind": "self_rebate", "rate_bp": 500},
                {"kind": "distribution", "level_rates_bp": [333, 100]},
            ]
        ),
        now=NOW,
    )
    posted, _ = post_order(
        store=store, ladder=DEFAULT_LADDER, request=order("o1", "a", 1001), now=NOW
    )
    # 1001 * 5% = 50.05 → 50; * 3.33% = 33.33 → 33; * 1% = 10.01 → 10
    assert paid_to(posted.entries) == {
        ("self_rebate", "a"): 50,
        ("distribution", "mid"): 33,
        ("distribution", "top"): 10,
    }
    partial = refund(store, "o1", "r1", 333, at=JAN + 1)
    # floor(e * 333 / 1001): 50 → 16, 33 → 10, 10 → 3
    assert paid_to(partial.entries) == {
        ("self_rebate", "a"): -16,
        ("distribution", "mid"): -10,
        ("distribution", "top"): -3,
    }
    assert {e.reverses for e in partial.entries} == {e.id for e in posted.entries}
    with pytest.raises(InvalidInput, match="more than the 668 left"):
        refund(store, "o1", "r2", 669, at=JAN + 2)
    full = refund(store, "o1", "r2", 668, at=JAN + 2)
    assert paid_to(full.entries) == {
        ("self_rebate", "a"): -34,
        ("distribution", "mid"): -23,
        ("distribution", "top"): -7,
    }
    net: dict[str, int] = {}
    for entry in store.entries_of_orders(["o1"]):
        key = entry.reverses or entry.id
        net[key] = net.get(key, 0) + entry.amount
    assert set(net.values()) == {0}
    with pytest.raises(NotFound):
        refund(store, "nope", "r3", 1, at=JAN)


def test_referral_bonus_moves_to_the_next_live_purchase_after_a_full_refund(
    store: CypherStore,
) -> None:
    chain(store, "mum", "kid")
    load_plan(
        store=store,
        ladder=DEFAULT_LADDER,
        plan=plan(rules=[{"kind": "referral_bonus", "amount": 2000}]),
        now=NOW,
    )
    first, _ = post_order(store=store, ladder=DEFAULT_LADDER, request=order("o1", "kid"), now=NOW)
    second, _ = post_order(store=store, ladder=DEFAULT_LADDER, request=order("o2", "kid"), now=NOW)
    assert paid_to(first.entries) == {("referral_bonus", "mum"): 2000}
    assert second.entries == []
    refund(store, "o1", "r1", 10_000, at=JAN + 1)
    # o2 is now her first purchase not fully refunded: the bonus moved to it.
    moved = [e for e in store.entries_of_orders(["o2"]) if e.kind == "referral_bonus"]
    assert [(e.id, e.beneficiary_id, e.amount) for e in moved] == [("o:o2:0:1", "mum", 2000)]
    third, _ = post_order(store=store, ladder=DEFAULT_LADDER, request=order("o3", "kid"), now=NOW)
    assert third.entries == []
    refund(store, "o2", "r2", 10_000, at=JAN + 2)
    refund(store, "o3", "r3", 10_000, at=JAN + 3)
    # Every purchase refunded in full: the next one is her first again.
    fourth, _ = post_order(store=store, ladder=DEFAULT_LADDER, request=order("o4", "kid"), now=NOW)
    assert paid_to(fourth.entries) == {("referral_bonus", "mum"): 2000}
    net = sum(e.amount for e in store.entries_of_orders(["o1", "o2", "o3", "o4"]))
    assert net == 2000  # once per invitee


def test_allowance_only_after_the_trainer_reaches_phoenix(store: CypherStore) -> None:
    ladder = TierLadder(
        steps=(
            TierStep(tier="bee", min_paid_invites=0),
            TierStep(tier="phoenix", min_paid_invites=2),
        )
    )
    chain(store, "trainer")
    for kid in ("k1", "k2", "k3"):
        store.register_members(
            [
                NewMemberRow(
                    id=kid,
                    inviter_id="trainer",
                    name=None,
                    joined_at=JAN - DAY_MS,
                    attributes_json=None,
                )
            ],
            ladder,
        )
    load_plan(
        store=store,
        ladder=ladder,
        plan=plan(rules=[{"kind": "training_allowance", "rate_bp": 300, "tier": "phoenix"}]),
        now=NOW,
    )
    # She reaches phoenix on 2026-01-15 12:00, when her second invitee pays.
    store.mark_paid([PaidRow(id="k1", paid_at=JAN + 2 * DAY_MS)], ladder)
    store.mark_paid([PaidRow(id="k2", paid_at=JAN + 14 * DAY_MS + DAY_MS // 2)], ladder)
    before, _ = post_order(
        store=store,
        ladder=ladder,
        request=order("before", "k3", placed_at=JAN + 14 * DAY_MS),
        now=NOW,
    )
    after, _ = post_order(
        store=store,
        ladder=ladder,
        request=order("after", "k3", placed_at=JAN + 15 * DAY_MS),
        now=NOW,
    )
    assert before.entries == []
    assert paid_to(after.entries) == {("training_allowance", "trainer"): 300}
    assert after.entries[0].tier_at_event == "phoenix"


def test_hold_then_release_unless_fully_refunded(store: CypherStore) -> None:
    chain(store, "a")
    load_plan(
        store=store,
        ladder=DEFAULT_LADDER,
        plan=plan(rules=[{"kind": "self_rebate", "rate_bp": 500, "hold_days": 7}]),
        now=NOW,
    )
    kept, _ = post_order(store=store, ladder=DEFAULT_LADDER, request=order("kept", "a"), now=JAN)
    gone, _ = post_order(store=store, ladder=DEFAULT_LADDER, request=order("gone", "a"), now=JAN)
    assert {e.status for e in kept.entries + gone.entries} == {"pending"}
    post_refund(
        ladder=DEFAULT_LADDER,
        store=store,
        order_id="gone",
        request=RefundCreate(id="r", amount=10_000, refunded_at=JAN + 1),
        now=JAN + 1,
    )
    assert release_due_entries(store=store, now=JAN + 6 * DAY_MS) == 0
    assert release_due_entries(store=store, now=JAN + 7 * DAY_MS) == 1
    statuses = {e.order_id: (e.status, e.released_at) for e in store.entries_of_orders(["kept"])}
    assert statuses == {"kept": ("available", JAN + 7 * DAY_MS)}
    assert {e.status for e in store.entries_of_orders(["gone"])} == {"pending"}


def test_unknown_members_and_foreign_currency_are_refused(store: CypherStore) -> None:
    chain(store, "a")
    load_plan(store=store, ladder=DEFAULT_LADDER, plan=plan(), now=NOW)
    with pytest.raises(InvalidInput, match="buyer_id ghost is not a member"):
        post_order(store=store, ladder=DEFAULT_LADDER, request=order("o", "ghost"), now=NOW)
    with pytest.raises(InvalidInput, match="shared_by ghost"):
        post_order(
            store=store, ladder=DEFAULT_LADDER, request=order("o", "a", shared_by="ghost"), now=NOW
        )
    with pytest.raises(InvalidInput, match="pays in CNY"):
        post_order(
            store=store, ladder=DEFAULT_LADDER, request=order("o", "a", currency="USD"), now=NOW
        )
    with pytest.raises(InvalidInput, match="before buyer a joined"):
        post_order(
            store=store,
            ladder=DEFAULT_LADDER,
            request=order("o", "a", placed_at=JAN - 60 * DAY_MS),
            now=NOW,
        )
    assert store.orders_by_id(["o"]) == []


def test_plan_change_mid_period_prices_each_order_by_its_placed_at(store: CypherStore) -> None:
    chain(store, "top", "a")
    january = plan("2026-01", JAN, rules=[{"kind": "distribution", "level_rates_bp": [200]}])
    load_plan(store=store, ladder=DEFAULT_LADDER, plan=january, now=NOW)
    early, _ = post_order(
        store=store,
        ladder=DEFAULT_LADDER,
        request=order("early", "a", placed_at=JAN + 10 * DAY_MS),
        now=NOW,
    )
    mid_month = JAN + 15 * DAY_MS
    february = plan(
        "2026-01b", mid_month, rules=[{"kind": "distribution", "level_rates_bp": [300]}]
    )
    load_plan(store=store, ladder=DEFAULT_LADDER, plan=february, now=NOW)
    late, _ = post_order(
        store=store,
        ladder=DEFAULT_LADDER,
        request=order("late", "a", placed_at=mid_month + 1),
        now=NOW,
    )
    # Posted after the change, placed before it: the old version still prices it.
    posted_late, _ = post_order(
        store=store,
        ladder=DEFAULT_LADDER,
        request=order("straggler", "a", placed_at=mid_month - 1),
        now=NOW,
    )
    assert [(e.plan_version, e.amount) for e in early.entries] == [("2026-01", 200)]
    assert [(e.plan_version, e.amount) for e in late.entries] == [("2026-01b", 300)]
    assert [(e.plan_version, e.amount) for e in posted_late.entries] == [("2026-01", 200)]
    before_any = order("before", "a", placed_at=JAN - 1)
    unpriced, _ = post_order(store=store, ladder=DEFAULT_LADDER, request=before_any, now=NOW)
    assert unpriced.order.plan_version is None and unpriced.entries == []


def test_a_bulk_post_prices_as_one_by_one_and_explains_what_it_cannot(
    store: CypherStore,
) -> None:
    chain(store, "top", "mid", "a")
    chain(store, "customer")
    rules = [
        {"kind": "referral_bonus", "amount": 700},
        {"kind": "sales_commission", "rate_bp": 1000},
        {"kind": "distribution", "level_rates_bp": [200, 100]},
    ]
    load_plan(store=store, ladder=DEFAULT_LADDER, plan=plan(rules=rules), now=NOW)
    bulk = [order("o1", "customer", shared_by="a"), order("o2", "a"), order("o3", "mid")]
    posted = post_orders(store=store, ladder=DEFAULT_LADDER, requests=bulk, now=NOW)
    assert [p.order.id for p in posted] == ["o1", "o2", "o3"]
    assert paid_to(posted[0].entries) == {
        ("sales_commission", "a"): 1000,
        ("distribution", "mid"): 200,
        ("distribution", "top"): 100,
    }
    assert paid_to(posted[1].entries) == {
        ("referral_bonus", "mid"): 700,
        ("distribution", "mid"): 200,
        ("distribution", "top"): 100,
    }

    # Posted again one by one, each answers what the bulk post wrote.
    def ordered(posted: OrderPosted) -> OrderPosted:
        return OrderPosted(order=posted.order, entries=sorted(posted.entries, key=lambda e: e.id))

    again = [post_order(store=store, ladder=DEFAULT_LADDER, request=r, now=NOW) for r in bulk]
    assert [ordered(p) for p, created in again if not created] == [ordered(p) for p in posted]
    assert audit_ledger(store=store, ladder=DEFAULT_LADDER).differences == []
    # What one read cannot price goes through post_order, which says why.
    with pytest.raises(InvalidInput, match="buyer_id ghost is not a member"):
        post_orders(store=store, ladder=DEFAULT_LADDER, requests=[order("o9", "ghost")], now=NOW)
    with pytest.raises(InvalidInput, match="each buyer once"):
        post_orders(
            store=store,
            ladder=DEFAULT_LADDER,
            requests=[order("o7", "top"), order("o8", "top")],
            now=NOW,
        )
