"""The pure ledger rules: the entries a plan grants for an order (given what the graph says
about it), the reversals a refund writes, which plan is in force, which order is a buyer's
first purchase, and the replay the audit runs over a buyer's history."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.domain.ledger import (
    FirstPurchase,
    LedgerEntry,
    Order,
    OrderContext,
    OrderCreate,
    PathStep,
    Refund,
    RefundCreate,
    entries_for_order,
    entry_id,
    plan_in_force,
    replay_buyer,
    reversals_for_refund,
    reversed_amounts,
)
from app.domain.lifecycle import status_at
from app.domain.plans import (
    DAY_MS,
    HARD_MAX_LEVELS,
    BonusOnPartialRefund,
    Distribution,
    Plan,
    max_rate_per_order_bp,
    plan_violations,
)
from app.domain.tiers import DEFAULT_LADDER

LADDER = DEFAULT_LADDER  # bee → butterfly → peacock → phoenix
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
TIERS = [step.tier for step in LADDER.steps]


def make_plan(
    rules: list[dict[str, Any]], *, max_levels: int = 3, version: str = "v1", at: int = 0
) -> Plan:
    return Plan.model_validate(
        {
            "version": version,
            "effective_from": at,
            "currency": "CNY",
            "max_levels": max_levels,
            "rate_ceiling_bp": 10_000,
            "rules": rules,
        }
    )


def make_order(
    order_id: str = "o1",
    *,
    buyer: str = "buyer",
    amount: int = 10_000,
    shared_by: str | None = None,
    placed_at: int = T0,
) -> OrderCreate:
    return OrderCreate(
        id=order_id,
        buyer_id=buyer,
        amount=amount,
        currency="CNY",
        placed_at=placed_at,
        shared_by=shared_by,
    )


def make_context(
    chain: list[str],
    *,
    inviter: str | None = None,
    tiers: dict[str, str] | None = None,
    first: bool = False,
    buyer: str = "buyer",
) -> OrderContext:
    """Every member named defaults to the base tier unless `tiers` says otherwise."""
    named = {buyer, *chain, *([inviter] if inviter else [])}
    return OrderContext(
        chain=chain,
        buyer_inviter_id=inviter,
        tiers={member: "bee" for member in named} | (tiers or {}),
        first_purchase=first,
    )


def grants(entries: list[LedgerEntry]) -> list[tuple[str, str, int]]:
    """(id, beneficiary, amount) of each entry, in the order written."""
    return [(e.id, e.beneficiary_id, e.amount) for e in entries]


def path_of(entry: LedgerEntry) -> list[tuple[str, int]]:
    return [(step.member_id, step.hop) for step in entry.path]


# --- entries for an order -----------------------------------------------------------------


def test_the_worked_example_pays_the_sharer_and_two_levels_above_her() -> None:
    plan = make_plan(
        [
            {"kind": "sales_commission", "rate_bp": 1000},
            {"kind": "distribution", "level_rates_bp": [200, 100]},
        ]
    )
    order = make_order(buyer="customer", shared_by="A")
    context = make_context(["A", "A_inviter", "A_grand", "A_great"], inviter="someone")
    entries = entries_for_order(order, plan, context, LADDER, now=T0)
    assert grants(entries) == [
        ("o:o1:0:0", "A", 1000),  # 10000 x 1000 / 10000
        ("o:o1:1:1", "A_inviter", 200),  # 10000 x 200 / 10000
        ("o:o1:1:2", "A_grand", 100),  # 10000 x 100 / 10000; no third level rate: A_great gets 0
    ]
    assert [path_of(e) for e in entries] == [
        [("A", 0)],
        [("A", 0), ("A_inviter", 1)],
        [("A", 0), ("A_inviter", 1), ("A_grand", 2)],
    ]
    assert [e.kind for e in entries] == ["sales_commission", "distribution", "distribution"]
    assert [e.rule for e in entries] == [0, 1, 1]
    for entry in entries:
        assert (entry.order_id, entry.buyer_id, entry.source_id) == ("o1", "customer", "A")
        assert (entry.currency, entry.plan_version, entry.tier_at_event) == ("CNY", "v1", "bee")
        assert (entry.refund_id, entry.reverses) == (None, None)
        # No hold: payable from the moment it was written, and it says so.
        assert (entry.status, entry.released_at) == ("available", T0)
        assert entry.created_at == entry.event_at == T0
    assert entry_id("o1", 1, 2) == "o:o1:1:2"


def test_an_unshared_order_flows_up_the_buyers_own_chain() -> None:
    plan = make_plan(
        [
            {"kind": "self_rebate", "rate_bp": 500},
            {"kind": "sales_commission", "rate_bp": 1000},
            {"kind": "distribution", "level_rates_bp": [200, 100]},
        ]
    )
    context = make_context(["buyer", "mum", "gran"], inviter="mum")
    entries = entries_for_order(make_order(), plan, context, LADDER, now=T0)
    # No sharer: no sales commission; the buyer is the source at hop 0.
    assert grants(entries) == [
        ("o:o1:0:0", "buyer", 500),  # 10000 x 5%
        ("o:o1:2:1", "mum", 200),
        ("o:o1:2:2", "gran", 100),
    ]
    assert {e.source_id for e in entries} == {"buyer"}


def test_sharing_to_yourself_earns_no_sales_commission() -> None:
    plan = make_plan(
        [
            {"kind": "self_rebate", "rate_bp": 500},
            {"kind": "sales_commission", "rate_bp": 1000},
            {"kind": "distribution", "level_rates_bp": [200]},
        ]
    )
    order = make_order(shared_by="buyer")
    context = make_context(["buyer", "mum"], inviter="mum")
    entries = entries_for_order(order, plan, context, LADDER, now=T0)
    assert grants(entries) == [("o:o1:0:0", "buyer", 500), ("o:o1:2:1", "mum", 200)]
    assert order.source_id == "buyer"


def test_a_shared_order_rebates_the_buyer_and_pays_up_the_sharers_chain() -> None:
    plan = make_plan(
        [
            {"kind": "self_rebate", "rate_bp": 500},
            {"kind": "sales_commission", "rate_bp": 1000},
            {"kind": "distribution", "level_rates_bp": [200]},
            {"kind": "training_allowance", "rate_bp": 300, "tier": "phoenix"},
        ]
    )
    order = make_order(amount=2_000, shared_by="S")
    context = make_context(
        ["S", "S_mum"], inviter="B_mum", tiers={"S_mum": "phoenix", "B_mum": "phoenix"}
    )
    entries = entries_for_order(order, plan, context, LADDER, now=T0)
    # The buyer's own inviter is not on the sale's chain and gets nothing.
    assert grants(entries) == [
        ("o:o1:0:0", "buyer", 100),  # 2000 x 5%
        ("o:o1:1:0", "S", 200),  # 2000 x 10%
        ("o:o1:2:1", "S_mum", 40),  # 2000 x 2%
        ("o:o1:3:1", "S_mum", 60),  # 2000 x 3%, she is a phoenix
    ]
    assert path_of(entries[0]) == [("buyer", 0)]
    assert path_of(entries[3]) == [("S", 0), ("S_mum", 1)]
    assert {e.source_id for e in entries} == {"S"}


def test_the_referral_bonus_pays_the_buyers_inviter_on_her_first_purchase_only() -> None:
    plan = make_plan([{"kind": "referral_bonus", "amount": 2000, "hold_days": 7}])
    order = make_order(amount=50, shared_by="S")  # the bonus is fixed, whatever the amount
    first = make_context(["S"], inviter="mum", first=True, tiers={"mum": "peacock"})
    [bonus] = entries_for_order(order, plan, first, LADDER, now=T0)
    assert (bonus.id, bonus.beneficiary_id, bonus.amount) == ("o:o1:0:1", "mum", 2000)
    assert path_of(bonus) == [("buyer", 0), ("mum", 1)]
    assert (bonus.kind, bonus.source_id, bonus.tier_at_event) == ("referral_bonus", "S", "peacock")
    later = make_context(["S"], inviter="mum", first=False)
    assert entries_for_order(order, plan, later, LADDER, now=T0) == []
    no_inviter = make_context(["S"], inviter=None, first=True)
    assert entries_for_order(order, plan, no_inviter, LADDER, now=T0) == []


def test_a_bonus_triggered_by_paying_is_never_paid_by_an_order() -> None:
    plan = make_plan([{"kind": "referral_bonus", "amount": 2000, "trigger": "paid"}])
    context = make_context(["buyer", "mum"], inviter="mum", first=True)
    assert entries_for_order(make_order(), plan, context, LADDER, now=T0) == []


def test_the_self_rebate_pays_on_every_order() -> None:
    plan = make_plan([{"kind": "self_rebate", "rate_bp": 500}])
    for first in (True, False):
        context = make_context(["buyer"], first=first)
        for order_id, amount in (("a", 10_000), ("b", 3_000)):
            [rebate] = entries_for_order(
                make_order(order_id, amount=amount), plan, context, LADDER, now=T0
            )
            assert (rebate.id, rebate.beneficiary_id) == (f"o:{order_id}:0:0", "buyer")
            assert rebate.amount == amount // 20  # 5%: 500 or 150


def test_distribution_stops_at_the_end_of_its_rates_and_at_the_root() -> None:
    plan = make_plan([{"kind": "distribution", "level_rates_bp": [300, 200, 100]}])
    long_chain = make_context(["buyer", "u1", "u2", "u3"])
    assert grants(entries_for_order(make_order(), plan, long_chain, LADDER, now=T0)) == [
        ("o:o1:0:1", "u1", 300),
        ("o:o1:0:2", "u2", 200),
        ("o:o1:0:3", "u3", 100),
    ]
    # The chain ends one hop up (u1 is a root): the higher levels pay no one.
    short = make_context(["buyer", "u1"])
    assert grants(entries_for_order(make_order(), plan, short, LADDER, now=T0)) == [
        ("o:o1:0:1", "u1", 300)
    ]
    # A root buyer: nobody above her.
    root = make_context(["buyer"])
    assert entries_for_order(make_order(), plan, root, LADDER, now=T0) == []
    # Fewer rates than the chain is long: the first rate only.
    one = make_plan([{"kind": "distribution", "level_rates_bp": [300]}])
    assert grants(entries_for_order(make_order(), one, long_chain, LADDER, now=T0)) == [
        ("o:o1:0:1", "u1", 300)
    ]


def test_a_malformed_plan_that_bypassed_the_guardrails_still_stops_at_three_hops() -> None:
    five = Distribution.model_construct(
        kind="distribution", level_rates_bp=[100, 100, 100, 100, 100], tier_rates_bp={}
    )
    rogue = Plan.model_construct(
        version="rogue",
        effective_from=0,
        currency="CNY",
        max_levels=5,
        promoter_counts_as_level=False,
        rate_ceiling_bp=10_000,
        rules=[five],
    )
    assert [v.limit for v in plan_violations(rogue, LADDER)] == ["max_levels", "max_levels"]
    chain = ["buyer", "u1", "u2", "u3", "u4", "u5"]
    entries = entries_for_order(make_order(), rogue, make_context(chain), LADDER, now=T0)
    assert HARD_MAX_LEVELS == 3
    assert grants(entries) == [
        ("o:o1:0:1", "u1", 100),
        ("o:o1:0:2", "u2", 100),
        ("o:o1:0:3", "u3", 100),
    ]
    assert max(e.path[-1].hop for e in entries) == 3
    # The plan's own max_levels caps it too, below the hard limit.
    two = rogue.model_copy(update={"max_levels": 2})
    entries = entries_for_order(make_order(), two, make_context(chain), LADDER, now=T0)
    assert [e.beneficiary_id for e in entries] == ["u1", "u2"]


def test_the_training_allowance_needs_the_direct_inviters_tier_at_the_event() -> None:
    plan = make_plan([{"kind": "training_allowance", "rate_bp": 300, "tier": "peacock"}])
    order = make_order(amount=1_000)

    def paid(tiers: dict[str, str]) -> list[tuple[str, str, int]]:
        context = make_context(["buyer", "mum", "gran"], tiers=tiers)
        return grants(entries_for_order(order, plan, context, LADDER, now=T0))

    # At the tier, or above it on the ladder: 1000 x 3% = 30 to the direct inviter.
    assert paid({"mum": "peacock"}) == [("o:o1:0:1", "mum", 30)]
    assert paid({"mum": "phoenix"}) == [("o:o1:0:1", "mum", 30)]
    # Below it: nothing, and never to the grandmother, whatever her tier.
    assert paid({"mum": "butterfly", "gran": "phoenix"}) == []
    assert paid({"mum": "bee"}) == []
    # A tier the ladder does not know is not at or above anything.
    assert paid({"mum": "emperor"}) == []
    # A root buyer has no trainer.
    root = make_context(["buyer"], tiers={"buyer": "phoenix"})
    assert entries_for_order(order, plan, root, LADDER, now=T0) == []
    # A rule naming a tier off the ladder (the guardrails refuse it) pays no one, not even a
    # trainer whose tier is off the ladder too.
    off = make_plan([{"kind": "training_allowance", "rate_bp": 300, "tier": "dragon"}])
    assert [v.limit for v in plan_violations(off, LADDER)] == ["tier"]
    for tier in (*TIERS, "dragon", "emperor"):
        context = make_context(["buyer", "mum"], tiers={"mum": tier})
        assert entries_for_order(order, off, context, LADDER, now=T0) == []


def test_tier_rates_follow_the_beneficiarys_tier() -> None:
    plan = make_plan(
        [
            {"kind": "self_rebate", "rate_bp": 500, "tier_rates_bp": {"butterfly": 800}},
            {"kind": "sales_commission", "rate_bp": 1000, "tier_rates_bp": {"phoenix": 1500}},
            {"kind": "distribution", "level_rates_bp": [200, 100],
             "tier_rates_bp": {"peacock": 50}},
            {"kind": "training_allowance", "rate_bp": 300, "tier": "peacock",
             "tier_rates_bp": {"phoenix": 400}},
        ]
    )  # fmt: skip
    order = make_order(amount=10_000, shared_by="S")
    context = make_context(
        ["S", "S_mum", "S_gran"],
        tiers={"buyer": "butterfly", "S": "phoenix", "S_mum": "peacock", "S_gran": "phoenix"},
    )
    entries = entries_for_order(order, plan, context, LADDER, now=T0)
    assert grants(entries) == [
        ("o:o1:0:0", "buyer", 800),  # butterfly rate 8%, not 5%
        ("o:o1:1:0", "S", 1500),  # the sharer is a phoenix: 15% (the buyer's tier is irrelevant)
        ("o:o1:2:1", "S_mum", 50),  # a peacock's level rate: 0.5% instead of 2%
        ("o:o1:2:2", "S_gran", 100),  # a phoenix has no distribution tier rate: level 2's 1%
        ("o:o1:3:1", "S_mum", 300),  # a peacock trainer: base 3% (only a phoenix gets 4%)
    ]
    assert [e.tier_at_event for e in entries] == [
        "butterfly",
        "phoenix",
        "peacock",
        "phoenix",
        "peacock",
    ]


def test_amounts_floor_per_entry_and_zero_grants_are_not_written() -> None:
    plan = make_plan(
        [
            {"kind": "referral_bonus", "amount": 0},
            {"kind": "self_rebate", "rate_bp": 333},
            {"kind": "sales_commission", "rate_bp": 0},
            {"kind": "distribution", "level_rates_bp": [7, 1]},
        ]
    )
    order = make_order(amount=999, shared_by="S")
    context = make_context(["S", "u1", "u2"], inviter="mum", first=True)
    assert grants(entries_for_order(order, plan, context, LADDER, now=T0)) == [
        ("o:o1:1:0", "buyer", 33),  # 999 x 333 / 10000 = 33.27 → 33
        # level 1: 999 x 7 / 10000 = 0.70 → 0, not written; level 2: 0.10 → 0, not written
    ]
    big = make_order(amount=1_429, shared_by="S")
    assert grants(entries_for_order(big, plan, context, LADDER, now=T0)) == [
        ("o:o1:1:0", "buyer", 47),  # 1429 x 333 / 10000 = 47.59 → 47
        ("o:o1:3:1", "u1", 1),  # 1429 x 7 / 10000 = 1.0003 → 1; level 2: 0.14 → 0
    ]


def test_an_entry_is_held_until_its_rules_hold_has_passed() -> None:
    plan = make_plan(
        [
            {"kind": "self_rebate", "rate_bp": 500, "hold_days": 7},
            {"kind": "distribution", "level_rates_bp": [200]},  # no hold
        ]
    )
    context = make_context(["buyer", "mum"])
    release = T0 + 7 * 86_400_000  # 7 days after the order was placed
    assert DAY_MS == 86_400_000

    def status_at(now: int) -> list[tuple[str, str, int]]:
        entries = entries_for_order(make_order(), plan, context, LADDER, now=now)
        return [(e.beneficiary_id, e.status, e.available_from) for e in entries]

    # Written when the order is placed: the rebate is held, the unheld level is available.
    assert status_at(T0) == [("buyer", "pending", release), ("mum", "available", T0)]
    assert status_at(release - 1) == [("buyer", "pending", release), ("mum", "available", T0)]
    # At the end of the hold (the releaser's `available_from <= now` too), and past it.
    assert status_at(release) == [("buyer", "available", release), ("mum", "available", T0)]
    assert status_at(release + DAY_MS) == [
        ("buyer", "available", release),
        ("mum", "available", T0),
    ]


# --- reversals ----------------------------------------------------------------------------

REFUND_PLAN = make_plan(
    [
        {"kind": "referral_bonus", "amount": 2000},
        {"kind": "self_rebate", "rate_bp": 700, "hold_days": 7},
        {"kind": "distribution", "level_rates_bp": [100]},
    ]
)


def refund_in_steps(
    originals: list[LedgerEntry],
    order_amount: int,
    amounts: list[int],
    now: int = T0,
    bonus_rule: BonusOnPartialRefund = "prorate",
) -> list[list[LedgerEntry]]:
    """The reversals each refund writes, fed what the earlier ones wrote, as the service does."""
    written: list[LedgerEntry] = list(originals)
    refunded = 0
    steps = []
    for number, amount in enumerate(amounts):
        reversals = reversals_for_refund(
            order_amount=order_amount,
            refunded_before=refunded,
            refund=RefundCreate(id=f"r{number}", amount=amount, refunded_at=now),
            originals=originals,
            reversed_so_far=reversed_amounts(written),
            now=now,
            bonus_on_partial_refund=bonus_rule,
        )
        written.extend(reversals)
        refunded += amount
        steps.append(reversals)
    return steps


def test_three_refunds_of_a_third_reverse_floors_then_exactly_what_is_left() -> None:
    order = make_order(amount=1_000)
    context = make_context(["buyer", "mum"], inviter="mum", first=True)
    originals = entries_for_order(order, REFUND_PLAN, context, LADDER, now=T0)
    # bonus 2000; rebate 1000 x 7% = 70; level 1: 1000 x 1% = 10
    assert grants(originals) == [
        ("o:o1:0:1", "mum", 2000),
        ("o:o1:1:0", "buyer", 70),
        ("o:o1:2:1", "mum", 10),
    ]
    steps = refund_in_steps(originals, 1_000, [333, 333, 334])
    assert [[r.amount for r in step] for step in steps] == [
        # floor(2000 x 333 / 1000) = 666, floor(70 x 333 / 1000) = 23, floor(10 x 333 / 1000) = 3
        [-666, -23, -3],
        [-666, -23, -3],
        # the last refund takes what is left: 2000 - 1332, 70 - 46, 10 - 6
        [-668, -24, -4],
    ]
    everything = originals + [r for step in steps for r in step]
    assert reversed_amounts(everything) == {"o:o1:0:1": 2000, "o:o1:1:0": 70, "o:o1:2:1": 10}
    net: dict[str, int] = {}
    for entry in everything:
        key = entry.reverses or entry.id
        net[key] = net.get(key, 0) + entry.amount
    assert net == {"o:o1:0:1": 0, "o:o1:1:0": 0, "o:o1:2:1": 0}


@pytest.mark.parametrize(
    ("rule", "bonus_steps"),
    [
        # The bonus (2000) under refunds of 333, 333 and 334 of an order of 1000:
        ("prorate", [-666, -666, -668]),  # its share each time, the rest at the last
        ("keep", [None, None, -2000]),  # untouched until the order is refunded in full
        ("reverse", [-2000, None, None]),  # all of it at the first refund, nothing left after
    ],
)
def test_the_plan_decides_what_a_partial_refund_does_to_the_referral_bonus(
    rule: BonusOnPartialRefund, bonus_steps: list[int | None]
) -> None:
    order = make_order(amount=1_000)
    context = make_context(["buyer", "mum"], inviter="mum", first=True)
    originals = entries_for_order(order, REFUND_PLAN, context, LADDER, now=T0)
    steps = refund_in_steps(originals, 1_000, [333, 333, 334], bonus_rule=rule)
    bonus = [next((r.amount for r in step if r.reverses == "o:o1:0:1"), None) for step in steps]
    assert bonus == bonus_steps
    # The rate-based entries are prorated whatever the rule, and every entry nets to 0.
    assert [[r.amount for r in step if r.reverses != "o:o1:0:1"] for step in steps] == [
        [-23, -3], [-23, -3], [-24, -4],
    ]  # fmt: skip
    everything = originals + [r for step in steps for r in step]
    assert reversed_amounts(everything) == {"o:o1:0:1": 2000, "o:o1:1:0": 70, "o:o1:2:1": 10}


def test_a_reversal_mirrors_its_original() -> None:
    order = make_order(amount=1_000)
    context = make_context(["buyer", "mum"], inviter="mum", first=True)
    originals = entries_for_order(order, REFUND_PLAN, context, LADDER, now=T0)
    later = T0 + DAY_MS
    [reversals] = refund_in_steps(originals, 1_000, [500], now=later)
    assert [(r.id, r.reverses, r.refund_id, r.amount) for r in reversals] == [
        ("r:r0:0:1", "o:o1:0:1", "r0", -1000),  # 2000 x 500 / 1000
        ("r:r0:1:0", "o:o1:1:0", "r0", -35),  # 70 x 500 / 1000
        ("r:r0:2:1", "o:o1:2:1", "r0", -5),  # 10 x 500 / 1000
    ]
    for original, reversal in zip(originals, reversals, strict=True):
        assert reversal.created_at == later
        assert reversal.path == original.path
        assert reversal.derivation()[:2] == original.derivation()[:2]  # kind, beneficiary
        assert (reversal.rule, reversal.available_from) == (original.rule, original.available_from)
        # Held money stays held with the entry it cancels; released money is clawed back now.
        assert reversal.status == original.status
        assert reversal.released_at == (later if original.status == "available" else None)
    assert [r.status for r in reversals] == ["available", "pending", "available"]


def test_one_full_refund_reverses_every_entry_whole() -> None:
    order = make_order(amount=999)
    context = make_context(["buyer", "mum"], inviter="mum", first=True)
    originals = entries_for_order(order, REFUND_PLAN, context, LADDER, now=T0)
    [reversals] = refund_in_steps(originals, 999, [999])
    assert [r.amount for r in reversals] == [-e.amount for e in originals]
    assert [e.amount for e in originals] == [2000, 69, 9]  # 999 x 7% = 69.93; 999 x 1% = 9.99


def test_reversed_amounts_sums_the_reversals_of_each_original() -> None:
    step = PathStep(member_id="m", hop=0)
    base = LedgerEntry(
        id="o:o1:0:0", kind="self_rebate", beneficiary_id="m", amount=50, currency="CNY",
        status="available", order_id="o1", buyer_id="m", source_id="m", plan_version="v1",
        rule=0, tier_at_event="bee", path=[step], event_at=0, created_at=0, available_from=0,
    )  # fmt: skip
    first = base.model_copy(update={"id": "r:a:0:0", "amount": -10, "reverses": base.id})
    second = base.model_copy(update={"id": "r:b:0:0", "amount": -15, "reverses": base.id})
    other = base.model_copy(update={"id": "r:a:1:0", "amount": -3, "reverses": "o:o1:1:0"})
    assert reversed_amounts([base, first, second, other]) == {"o:o1:0:0": 25, "o:o1:1:0": 3}
    assert reversed_amounts([base]) == {}


@st.composite
def refund_sequences(draw: st.DrawFn) -> tuple[int, list[int]]:
    """An order amount and refunds of it, each > 0, summing to at most the amount (often
    to exactly it)."""
    amount = draw(st.integers(1, 1_000_000))
    cuts = draw(st.lists(st.integers(1, amount), max_size=8, unique=True))
    if draw(st.booleans()):
        cuts.append(amount)
    marks = sorted({0, *cuts})
    return amount, [b - a for a, b in pairwise(marks)]


@settings(max_examples=300)
@given(
    sequence=refund_sequences(),
    bonus=st.integers(0, 5_000),
    rebate_bp=st.integers(0, 10_000),
    level_bp=st.integers(0, 10_000),
)
def test_reversals_never_exceed_an_entry_and_a_full_refund_nets_it_to_zero(
    sequence: tuple[int, list[int]], bonus: int, rebate_bp: int, level_bp: int
) -> None:
    amount, refunds = sequence
    plan = make_plan(
        [
            {"kind": "referral_bonus", "amount": bonus},
            {"kind": "self_rebate", "rate_bp": rebate_bp},
            {"kind": "distribution", "level_rates_bp": [level_bp]},
        ]
    )
    context = make_context(["buyer", "mum"], inviter="mum", first=True)
    originals = entries_for_order(make_order(amount=amount), plan, context, LADDER, now=T0)
    written = list(originals)
    refunded = 0
    for refund, reversals in zip(refunds, refund_in_steps(originals, amount, refunds), strict=True):
        assert [r.reverses for r in reversals] == [e.id for e in originals]
        written.extend(reversals)
        refunded += refund
        taken = reversed_amounts(written)
        for entry in originals:
            # Every reversal takes back (never adds); the net never flips below zero...
            assert all(r.amount <= 0 for r in reversals)
            assert 0 <= taken.get(entry.id, 0) <= entry.amount
            # ...and before the last refund, no more than the refunded share of the entry.
            if refunded < amount:
                assert taken.get(entry.id, 0) <= entry.amount * refunded // amount
    if sum(refunds) == amount:
        taken = reversed_amounts(written)
        assert all(taken.get(entry.id, 0) == entry.amount for entry in originals)


def test_plan_in_force_is_the_latest_that_took_effect() -> None:
    january = make_plan([], version="jan", at=T0)
    february = make_plan([], version="feb", at=T0 + 31 * DAY_MS)
    plans = [february, january]  # the order they are listed in does not matter
    assert plan_in_force(plans, T0 - 1) is None
    assert plan_in_force(plans, T0) == january
    assert plan_in_force(plans, T0 + 31 * DAY_MS - 1) == january
    assert plan_in_force(plans, T0 + 31 * DAY_MS) == february
    assert plan_in_force([], T0) is None


# --- first purchase and the replay --------------------------------------------------------


def test_first_purchase_moves_only_when_the_first_is_fully_refunded() -> None:
    none = FirstPurchase()
    assert none.order_id is None
    first = none.after_order("o1")
    assert first.order_id == "o1"
    assert first.after_order("o2").order_id == "o1"
    assert first.after_refund("o1", fully_refunded=False, next_live="o2").order_id == "o1"
    assert first.after_refund("o2", fully_refunded=True, next_live="o3").order_id == "o1"
    assert first.after_refund("o1", fully_refunded=True, next_live="o2").order_id == "o2"
    assert first.after_refund("o1", fully_refunded=True, next_live=None).order_id is None
    assert none.after_refund("o1", fully_refunded=True, next_live="o2").order_id is None


def stored_order(order: OrderCreate, seq: int, version: str | None = "v1") -> Order:
    return Order(**order.model_dump(), plan_version=version, seq=seq, created_at=order.placed_at)


def stored_refund(refund_id: str, order_id: str, amount: int, seq: int, at: int) -> Refund:
    return Refund(
        id=refund_id, amount=amount, refunded_at=at, order_id=order_id, seq=seq, created_at=at
    )


def test_replay_gives_what_the_rules_gave_in_sequence_and_moves_the_bonus() -> None:
    plan = make_plan(
        [
            {"kind": "referral_bonus", "amount": 2000},
            {"kind": "self_rebate", "rate_bp": 500},
            {"kind": "sales_commission", "rate_bp": 1000},
            {"kind": "distribution", "level_rates_bp": [200, 100]},
        ],
        at=T0,
    )
    hour = 3_600_000
    o1 = stored_order(make_order("o1", amount=1_000, placed_at=T0 + hour), seq=1)
    o2 = stored_order(make_order("o2", amount=3_001, shared_by="S", placed_at=T0 + 4 * hour), 4)
    o3 = stored_order(make_order("o3", amount=500, placed_at=T0 + 5 * hour), seq=5)
    r1 = stored_refund("r1", "o1", 400, seq=2, at=T0 + 2 * hour)
    r2 = stored_refund("r2", "o1", 600, seq=3, at=T0 + 3 * hour)  # o1 is now fully refunded
    r3 = stored_refund("r3", "o2", 1_000, seq=6, at=T0 + 6 * hour)
    own = make_context(["buyer", "mum", "gran"], inviter="mum")
    shared = make_context(["S", "S_mum"], inviter="mum")
    # What the graph answers; first_purchase is the replay's to decide (the audit passes False).
    contexts = {"o1": own, "o2": shared, "o3": own}

    # The same rules called in sequence, deciding first_purchase by hand.
    def entries(order: Order, context: OrderContext, first: bool) -> list[LedgerEntry]:
        context = context.model_copy(update={"first_purchase": first})
        return entries_for_order(order, plan, context, LADDER, now=order.created_at)

    e1 = entries(o1, own, first=True)
    e2 = entries(o2, shared, first=True)  # o1 was fully refunded: o2 is her first purchase
    e3 = entries(o3, own, first=False)
    rv1 = reversals_for_refund(order_amount=1_000, refunded_before=0, refund=r1,
                               originals=sorted(e1, key=lambda e: e.id), reversed_so_far={},
                               now=r1.created_at)  # fmt: skip
    rv2 = reversals_for_refund(order_amount=1_000, refunded_before=400, refund=r2,
                               originals=sorted(e1, key=lambda e: e.id),
                               reversed_so_far=reversed_amounts(rv1),
                               now=r2.created_at)  # fmt: skip
    rv3 = reversals_for_refund(order_amount=3_001, refunded_before=0, refund=r3,
                               originals=sorted(e2, key=lambda e: e.id), reversed_so_far={},
                               now=r3.created_at)  # fmt: skip
    expected = e1 + rv1 + rv2 + e2 + rv3 + e3

    events: list[Order | Refund] = [o3, r3, r1, o2, r2, o1]  # replay sorts them by seq
    replayed = replay_buyer(events, {o.id: o for o in (o1, o2, o3)}, [plan], contexts, LADDER)
    assert sorted(e.id for e in replayed) == sorted(e.id for e in expected)
    assert sorted(replayed, key=lambda e: e.id) == sorted(expected, key=lambda e: e.id)

    # Spelled out: the bonus went to mum on o1, was taken back whole, and moved to o2.
    bonuses = [(e.id, e.amount) for e in replayed if e.kind == "referral_bonus"]
    assert sorted(bonuses) == [
        ("o:o1:0:1", 2000),
        ("o:o2:0:1", 2000),
        ("r:r1:0:1", -800),  # 2000 x 400 / 1000
        ("r:r2:0:1", -1200),  # the rest: 2000 - 800
        ("r:r3:0:1", -666),  # 2000 x 1000 / 3001 = 666.44
    ]
    assert [e.id for e in e3] == ["o:o3:1:0", "o:o3:3:1", "o:o3:3:2"]  # no bonus on o3
    assert grants(e2) == [
        ("o:o2:0:1", "mum", 2000),
        ("o:o2:1:0", "buyer", 150),  # 3001 x 5% = 150.05
        ("o:o2:2:0", "S", 300),  # 3001 x 10% = 300.1
        ("o:o2:3:1", "S_mum", 60),  # 3001 x 2% = 60.02; S_mum is a root: no level 2
    ]


def test_a_partly_refunded_first_purchase_keeps_the_bonus() -> None:
    plan = make_plan([{"kind": "referral_bonus", "amount": 2000}], at=T0)
    o1 = stored_order(make_order("o1", amount=1_000, placed_at=T0 + 1), seq=1)
    r1 = stored_refund("r1", "o1", 999, seq=2, at=T0 + 2)
    o2 = stored_order(make_order("o2", amount=1_000, placed_at=T0 + 3), seq=3)
    context = make_context(["buyer", "mum"], inviter="mum")
    replayed = replay_buyer(
        [o1, r1, o2], {"o1": o1, "o2": o2}, [plan], {"o1": context, "o2": context}, LADDER
    )
    # 2000 x 999 / 1000 = 1998 reversed; 2 stay; o2 pays no second bonus.
    assert grants(replayed) == [("o:o1:0:1", "mum", 2000), ("r:r1:0:1", "mum", -1998)]


def test_replay_prices_each_order_with_the_plan_in_force_when_it_was_placed() -> None:
    early = make_plan([{"kind": "self_rebate", "rate_bp": 100}], version="v1", at=T0)
    late = make_plan([{"kind": "self_rebate", "rate_bp": 900}], version="v2", at=T0 + 10)
    before = stored_order(make_order("o0", amount=1_000, placed_at=T0 - 1), seq=1, version=None)
    o1 = stored_order(make_order("o1", amount=1_000, placed_at=T0 + 5), seq=2)
    o2 = stored_order(make_order("o2", amount=1_000, placed_at=T0 + 10), seq=3, version="v2")
    context = make_context(["buyer"])
    replayed = replay_buyer(
        [before, o1, o2],
        {o.id: o for o in (before, o1, o2)},
        [late, early],
        {"o0": context, "o1": context, "o2": context},
        LADDER,
    )
    # No plan before T0: o0 earns nothing. 1000 x 1% = 10 under v1; 1000 x 9% = 90 under v2.
    assert [(e.id, e.amount, e.plan_version) for e in replayed] == [
        ("o:o1:0:0", 10, "v1"),
        ("o:o2:0:0", 90, "v2"),
    ]


# --- the ceiling holds for every plan the guardrails let through --------------------------

BP = st.integers(0, 2_500)
TIER_RATES = st.dictionaries(st.sampled_from(TIERS), BP, max_size=2)
RULES = st.lists(
    st.one_of(
        st.fixed_dictionaries({"kind": st.just("referral_bonus"), "amount": st.integers(0, 3000)}),
        st.fixed_dictionaries({"kind": st.just("self_rebate"), "rate_bp": BP,
                               "tier_rates_bp": TIER_RATES}),
        st.fixed_dictionaries({"kind": st.just("sales_commission"), "rate_bp": BP,
                               "tier_rates_bp": TIER_RATES}),
        st.fixed_dictionaries({"kind": st.just("distribution"),
                               "level_rates_bp": st.lists(BP, min_size=1, max_size=3),
                               "tier_rates_bp": TIER_RATES}),
        st.fixed_dictionaries({"kind": st.just("training_allowance"), "rate_bp": BP,
                               "tier": st.sampled_from(TIERS), "tier_rates_bp": TIER_RATES}),
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda rule: str(rule["kind"]),
)  # fmt: skip


@settings(max_examples=300, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    rules=RULES,
    max_levels=st.integers(0, 3),
    promoter=st.booleans(),
    ceiling=st.integers(0, 10_000),
    tight=st.booleans(),
    slack=st.integers(0, 100),
    amount=st.integers(1, 10**9),
    chain_tiers=st.lists(st.sampled_from(TIERS), min_size=1, max_size=4),
    buyer_tier=st.sampled_from(TIERS),
    shared=st.booleans(),
    first=st.booleans(),
)
def test_no_order_pays_more_than_the_ceiling_of_a_plan_that_passes_the_guardrails(
    rules: list[dict[str, Any]],
    max_levels: int,
    promoter: bool,
    ceiling: int,
    tight: bool,
    slack: int,
    amount: int,
    chain_tiers: list[str],
    buyer_tier: str,
    shared: bool,
    first: bool,
) -> None:
    doc = {
        "version": "p",
        "effective_from": 0,
        "currency": "CNY",
        "max_levels": max_levels,
        "promoter_counts_as_level": promoter,
        "rate_ceiling_bp": 10_000,
        "rules": rules,
    }
    # Often right at the plan's highest total (the tightest ceiling it passes), else random.
    highest = max_rate_per_order_bp(Plan.model_validate(doc))
    plan = Plan.model_validate(doc | {"rate_ceiling_bp": highest + slack if tight else ceiling})
    assume(plan_violations(plan, LADDER) == [])
    chain = [f"m{hop}" for hop in range(len(chain_tiers))]
    if not shared:
        chain[0] = "buyer"
    tiers = dict(zip(chain, chain_tiers, strict=True)) | {"buyer": buyer_tier, "inv": "bee"}
    context = OrderContext(chain=chain, buyer_inviter_id="inv", tiers=tiers, first_purchase=first)
    order = make_order(amount=amount, shared_by=chain[0] if shared else None)
    entries = entries_for_order(order, plan, context, LADDER, now=T0)
    rated = sum(e.amount for e in entries if e.kind != "referral_bonus")
    assert rated <= amount * plan.rate_ceiling_bp // 10_000
    assert all(e.amount > 0 for e in entries)
    assert all(e.path[-1].hop <= max_levels for e in entries if e.kind == "distribution")
    assert len({e.id for e in entries}) == len(entries)


# --- members who are not active -----------------------------------------------------------


def test_an_inactive_member_is_skipped_or_compressed_past_as_the_plan_says() -> None:
    rules: list[dict[str, Any]] = [
        {"kind": "self_rebate", "rate_bp": 100},
        {"kind": "distribution", "level_rates_bp": [500, 300, 200]},
        {"kind": "training_allowance", "rate_bp": 400, "tier": "bee"},
    ]
    order = make_order(amount=10_000)
    chain = ["buyer", "mum", "gran", "great"]

    def paid(mode: str, inactive: set[str]) -> list[tuple[str, str, int]]:
        plan = make_plan(rules).model_copy(update={"inactive_members": mode})
        context = make_context(chain).model_copy(update={"inactive": frozenset(inactive)})
        return grants(entries_for_order(order, plan, context, LADDER, now=T0))

    everyone = [
        ("o:o1:0:0", "buyer", 100),
        ("o:o1:1:1", "mum", 500), ("o:o1:1:2", "gran", 300), ("o:o1:1:3", "great", 200),
        ("o:o1:2:1", "mum", 400),
    ]  # fmt: skip
    assert paid("skip", set()) == paid("compress", set()) == everyone
    # skip: nobody is paid mum's hop, the others keep their levels.
    assert paid("skip", {"mum"}) == [
        ("o:o1:0:0", "buyer", 100), ("o:o1:1:2", "gran", 300), ("o:o1:1:3", "great", 200),
    ]  # fmt: skip
    # compress: the next active member up takes mum's level (and the trainer's place); the
    # chain's cap still ends it, so the third level goes to nobody.
    assert paid("compress", {"mum"}) == [
        ("o:o1:0:0", "buyer", 100), ("o:o1:1:2", "gran", 500), ("o:o1:1:3", "great", 300),
        ("o:o1:2:2", "gran", 400),
    ]  # fmt: skip
    # A member's own reward is skipped either way.
    for mode in ("skip", "compress"):
        assert ("o:o1:0:0", "buyer", 100) not in paid(mode, {"buyer"})
    assert paid("compress", {"mum", "gran", "great"}) == [("o:o1:0:0", "buyer", 100)]


def test_a_status_holds_from_its_own_moment() -> None:
    times, statuses = [10, 20, 30], ["inactive", "active", "terminated"]
    assert [status_at(times, statuses, at) for at in (9, 10, 19, 20, 30, 99)] == [
        "active", "inactive", "inactive", "active", "terminated", "terminated",
    ]  # fmt: skip
    assert status_at([], [], 5) == "active"
