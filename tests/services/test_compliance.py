"""The compliance report on hand-built networks and ledgers, every figure worked out by hand,
on both backends."""

from __future__ import annotations

from collections.abc import Mapping

from app.domain.ledger import LedgerEntry, PathStep, RefundCreate
from app.domain.members import NewMemberRow, PaidRow
from app.domain.plans import DAY_MS, HARD_MAX_LEVELS
from app.domain.tiers import TierLadder, TierStep
from app.services.compliance import ComplianceReport, Subtree, compliance_report
from app.services.orders import post_order, post_refund
from app.services.plans import load_plan
from app.store.cypher_store import CypherStore
from tests.services.test_orders import JAN, NOW, order, plan

FEB = JAN + 31 * DAY_MS
# Phoenix after two paid invites, so a small network has a trainer.
LADDER = TierLadder(
    steps=(TierStep(tier="bee", min_paid_invites=0), TierStep(tier="phoenix", min_paid_invites=2))
)
# examples/seed-plan.json's rules, without holds.
SEED_RULES: list[dict[str, object]] = [
    {"kind": "referral_bonus", "amount": 2000, "trigger": "first_purchase"},
    {"kind": "self_rebate", "rate_bp": 500},
    {"kind": "sales_commission", "rate_bp": 1000},
    {"kind": "distribution", "level_rates_bp": [200, 100]},
    {"kind": "training_allowance", "rate_bp": 300, "tier": "phoenix"},
]


def grow(store: CypherStore, inviter_of: Mapping[str, str | None]) -> None:
    """Registers every member, one batch per generation (inviters before invitees)."""
    done: set[str] = set()
    while len(done) < len(inviter_of):
        wave = [
            member
            for member, inviter in inviter_of.items()
            if member not in done and (inviter is None or inviter in done)
        ]
        rows = [
            NewMemberRow(
                id=member,
                inviter_id=inviter_of[member],
                name=None,
                joined_at=JAN - 30 * DAY_MS,
                attributes_json=None,
            )
            for member in wave
        ]
        assert sorted(store.register_members(rows, LADDER)) == sorted(wave)
        done.update(wave)


def two_level_tree(root: str, direct: int, grandchildren: int) -> dict[str, str | None]:
    """`root`, `direct` invitees, and `grandchildren` spread over the first invitees, six
    each."""
    tree: dict[str, str | None] = {root: None}
    tree.update({f"{root}{i}": root for i in range(direct)})
    tree.update({f"{root}{k // 6}_{k % 6}": f"{root}{k // 6}" for k in range(grandchildren)})
    return tree


def network() -> dict[str, str | None]:
    members: dict[str, str | None] = {}
    members.update(two_level_tree("A", 5, 24))  # 1 + 5 + 24 = 30 members, 3 levels: large
    members.update(two_level_tree("B", 4, 24))  # 1 + 4 + 24 = 29 members: one short
    members.update(two_level_tree("W", 40, 0))  # 41 members, but only 2 levels
    # c0 ← c1 ← … ← c11, and 20 leaves under c0: 32 members, 12 levels (10 tracked).
    members.update({f"c{i}": f"c{i - 1}" if i else None for i in range(12)})
    members.update({f"leaf{i}": "c0" for i in range(20)})
    return members


def test_depths_chains_and_large_subtrees(store: CypherStore) -> None:
    grow(store, network())
    report = compliance_report(store=store, now=NOW)
    assert report.members == 30 + 29 + 41 + 32 == 132
    assert [(d.depth, d.members) for d in report.depth_histogram] == [
        (0, 4),  # A, B, W, c0
        (1, 5 + 4 + 40 + 21),  # c1 and the 20 leaves
        (2, 24 + 24 + 1),
        *[(depth, 1) for depth in range(3, 12)],  # c3 … c11
    ]
    assert report.members_depth_3_or_more == 9
    assert report.share_depth_3_or_more == 9 / 132
    assert report.longest_chain is not None
    assert (report.longest_chain.depth, report.longest_chain.member_id) == (11, "c11")
    large = report.large_subtrees
    assert (large.min_members, large.min_levels, large.count) == (30, 3, 2)
    assert large.largest == [
        # 1 + 10 tracked levels; c11 is 11 levels below c0, past what is tracked.
        Subtree(member_id="c0", members=32, levels=11, levels_lower_bound=True),
        Subtree(member_id="A", members=30, levels=3, levels_lower_bound=False),
    ]
    assert report.deepest_entry_hop is None and report.within_cap
    assert report.payouts == [] and report.self_dealing.count == 0


def test_an_empty_graph_reports_zeros(store: CypherStore) -> None:
    report = compliance_report(store=store, now=NOW)
    assert report == ComplianceReport.model_validate(
        {
            "generated_at": NOW,
            "window": {"from_": 0, "to": 2**62, "by": "event_at"},
            "members": 0,
            "depth_histogram": [],
            "members_depth_3_or_more": 0,
            "share_depth_3_or_more": 0.0,
            "longest_chain": None,
            "large_subtrees": {"min_members": 30, "min_levels": 3, "count": 0, "largest": []},
            "deepest_entry_hop": None,
            "hard_max_levels": HARD_MAX_LEVELS,
            "within_cap": True,
            "entries_beyond_cap": [],
            "payouts": [],
            "self_dealing": {"count": 0, "entry_ids": [], "net_amounts": {}},
        }
    )


def seed_network_and_orders(store: CypherStore) -> None:
    """top ← mid ← a, mid ← b, and customer on her own; mid is phoenix from JAN - 10 days.
    p1 has the seed plan's rules; p2, from FEB, pays distribution at a phoenix rate."""
    grow(store, {"top": None, "mid": "top", "a": "mid", "b": "mid", "customer": None})
    store.mark_paid([PaidRow(id=m, paid_at=JAN - 10 * DAY_MS) for m in ("a", "b")], LADDER)
    tiered = [dict(rule) for rule in SEED_RULES]
    tiered[3] = {**tiered[3], "tier_rates_bp": {"phoenix": 300}}
    for version in (plan("p1", max_levels=2, rules=SEED_RULES),
                    plan("p2", effective_from=FEB, max_levels=2, rules=tiered)):  # fmt: skip
        load_plan(store=store, ladder=LADDER, plan=version, now=NOW)
    for request in (
        # 2100: customer's rebate 500, a's commission 1000, distribution 200 + 100, mid's
        # allowance 300. Source a, buyer customer: outside customers.
        order("o1", "customer", shared_by="a"),
        # 3100: mid's bonus 2000 for a's first purchase, a's rebate 500, 200 + 100, 300.
        # Unshared: own consumption.
        order("o2", "a"),
        # 4100: top's bonus 2000, mid's rebate 500, a's commission 1000, 200 to mid + 100 to
        # top, 300 to mid. a shared it and her inviter mid bought it: the distribution and the
        # allowance pay mid on her own order.
        order("o3", "mid", shared_by="a"),
        # Under p2, 3200: mid's bonus 2000, b's rebate 500, distribution 300 (mid, phoenix
        # rate) + 100 (top), allowance 300. Own consumption.
        order("o4", "b", placed_at=FEB + DAY_MS),
    ):
        post_order(store=store, ladder=LADDER, request=request, now=NOW)
    # Half of o3 back: every o3 entry reversed by half, 4100 → 2050.
    post_refund(
        ladder=LADDER,
        store=store,
        order_id="o3",
        request=RefundCreate(id="r3", amount=5000, refunded_at=JAN + 1),
        now=NOW + 1,
    )


def test_payouts_split_by_linkage_and_by_source_and_self_dealing_listed(
    store: CypherStore,
) -> None:
    seed_network_and_orders(store)
    report = compliance_report(store=store, now=NOW)
    assert report.deepest_entry_hop == 2 and report.hard_max_levels == HARD_MAX_LEVELS
    assert report.within_cap and report.entries_beyond_cap == []
    [cny] = report.payouts
    assert cny.currency == "CNY"
    assert (cny.total, cny.entries) == (2100 + 3100 + 2050 + 3200, 5 + 5 + 12 + 5)
    assert cny.own_consumption == 3100 + 3200
    assert cny.outside_customers == 2100 + 2050
    by_rule = [
        (r.plan_version, r.rule, r.kind, r.linkage, r.amount, r.entries) for r in cny.by_rule
    ]
    assert by_rule == [
        ("p1", 0, "referral_bonus", "recruitment-linked", 2000 + 2000 - 1000, 3),
        ("p1", 1, "self_rebate", "sales-linked", 500 * 3 - 250, 4),
        ("p1", 2, "sales_commission", "sales-linked", 1000 * 2 - 500, 3),
        ("p1", 3, "distribution", "sales-linked", 300 * 3 - 150, 8),
        ("p1", 4, "training_allowance", "recruitment-linked", 300 * 3 - 150, 4),
        ("p2", 0, "referral_bonus", "recruitment-linked", 2000, 1),
        ("p2", 1, "self_rebate", "sales-linked", 500, 1),
        # The same rule index, classified by its own version: a tier rate makes it
        # recruitment-linked.
        ("p2", 3, "distribution", "recruitment-linked", 400, 2),
        ("p2", 4, "training_allowance", "recruitment-linked", 300, 1),
    ]
    assert cny.recruitment_linked == 3000 + 750 + 2000 + 400 + 300 == 6450
    assert cny.sales_linked == 1250 + 1500 + 750 + 500 == 4000
    assert cny.unclassified == 0
    assert report.self_dealing.count == 2
    assert report.self_dealing.entry_ids == ["o:o3:3:1", "o:o3:4:1"]
    assert report.self_dealing.net_amounts == {"CNY": (200 - 100) + (300 - 150)}


def hand_entry(entry_id: str, beneficiary: str, amount: int, path: list[str]) -> LedgerEntry:
    """An entry written by hand, as no rule of the service would: what the report must catch."""
    return LedgerEntry(
        id=entry_id,
        kind="distribution",
        beneficiary_id=beneficiary,
        amount=amount,
        currency="USD",
        status="available",
        order_id="forged",
        buyer_id=path[0],
        source_id=path[0],
        plan_version="ghost",
        rule=0,
        tier_at_event="bee",
        path=[PathStep(member_id=member, hop=hop) for hop, member in enumerate(path)],
        event_at=NOW,
        created_at=NOW,
        available_from=NOW,
        released_at=NOW,
    )


def record_by_hand(store: CypherStore, *entries: LedgerEntry) -> None:
    """Writes an order of c4 (no plan in force) carrying `entries`."""
    forged = order("forged", "c4")
    assert store.record_order(forged, None, entries, expected_seq=0, tier_seqs={}, now=NOW)


def test_an_entry_past_the_cap_is_caught_and_big_sums_stay_exact(store: CypherStore) -> None:
    grow(store, {f"c{i}": f"c{i - 1}" if i else None for i in range(5)})
    chain = ["c4", "c3", "c2", "c1", "c0"]
    # 2^53 - 1 and 2: a double adds them up to 2^53, one short.
    record_by_hand(
        store,
        hand_entry("deep", "c0", 2**53 - 1, chain),
        hand_entry("shallow", "c3", 2, chain[:2]),
    )
    report = compliance_report(store=store, now=NOW)
    assert report.deepest_entry_hop == 4 > HARD_MAX_LEVELS
    assert not report.within_cap and report.entries_beyond_cap == ["deep"]
    [usd] = report.payouts
    assert usd.total == usd.unclassified == usd.own_consumption == 2**53 + 1
    assert [(r.plan_version, r.kind, r.linkage) for r in usd.by_rule] == [("ghost", None, None)]
