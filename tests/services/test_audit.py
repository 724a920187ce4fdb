"""`refgraph audit` on both backends: a sound ledger re-derives exactly; a tampered, lost or
invented entry is reported."""

from __future__ import annotations

from app.domain.members import MemberCreate
from app.domain.plans import DAY_MS
from app.domain.spend import DEFAULT_SPEND_LADDER
from app.domain.tiers import DEFAULT_LADDER, TierLadder, TierStep
from app.services.audit import audit_ledger
from app.services.members import get_tier_status, mark_member_paid, register_member
from app.services.orders import post_order
from app.services.plans import load_plan
from app.store.cypher_store import CypherStore
from tests.engines import run_cypher
from tests.services.test_orders import JAN, NOW, chain, order, plan, refund


def ledger_with_refunds(store: CypherStore) -> None:
    chain(store, "top", "mid", "a", "b")
    load_plan(
        store=store,
        ladder=DEFAULT_LADDER,
        plan=plan(
            rules=[
                {"kind": "referral_bonus", "amount": 700},
                {"kind": "self_rebate", "rate_bp": 500},
                {"kind": "distribution", "level_rates_bp": [200, 100]},
            ]
        ),
        now=NOW,
    )
    for k, buyer in enumerate(["b", "b", "a", "mid"]):
        request = order(f"o{k}", buyer, 999 + k, placed_at=JAN + k)
        post_order(store=store, ladder=DEFAULT_LADDER, request=request, now=NOW)
    refund(store, "o0", "r0", 999, at=JAN + 9)
    refund(store, "o2", "r2", 100, at=JAN + 9)


def test_a_sound_ledger_rederives_exactly(store: CypherStore) -> None:
    ledger_with_refunds(store)
    report = audit_ledger(store=store, ladder=DEFAULT_LADDER)
    assert report.differences == []
    assert (report.orders, report.refunds) == (4, 2)
    # o0: bonus, rebate, 2 levels, reversed in full (8); o1: rebate, 2 levels, and the bonus
    # that moved to it when o0 was refunded in full (4); o2: bonus, rebate, 2 levels and their
    # partial reversal (8); o3: bonus, rebate, 1 level (3).
    assert report.entries == 23


def test_tampered_missing_and_invented_entries_are_reported(store: CypherStore) -> None:
    ledger_with_refunds(store)
    run_cypher(store, "MATCH (e:LedgerEntry {id: 'o:o1:1:0'}) SET e.amount = e.amount + 1")
    run_cypher(store, "MATCH (e:LedgerEntry {id: 'o:o3:0:1'}) DELETE e")
    run_cypher(
        store,
        "CREATE (:LedgerEntry {id: 'o:o1:9:1', kind: 'distribution', beneficiary_id: 'a',"
        " amount: 5, currency: 'CNY', status: 'pending', order_id: 'o1', buyer_id: 'b',"
        " source_id: 'b', plan_version: 'p1', rule: 9, tier_at_event: 'bee',"
        " path_ids: ['b', 'a'], event_at: 1, created_at: 1, available_from: 1})",
    )
    report = audit_ledger(store=store, ladder=DEFAULT_LADDER)
    found = {(d.problem, d.entry_id) for d in report.differences}
    assert found == {("differs", "o:o1:1:0"), ("missing", "o:o3:0:1"), ("unexpected", "o:o1:9:1")}
    differs = next(d for d in report.differences if d.problem == "differs")
    assert differs.detail == "amount: stored 51, re-derived 50"  # 1000 * 5% = 50, plus 1


def test_an_order_priced_under_a_plan_loaded_later_is_reported(store: CypherStore) -> None:
    chain(store, "a")
    load_plan(
        store=store,
        ladder=DEFAULT_LADDER,
        plan=plan(rules=[{"kind": "self_rebate", "rate_bp": 500}]),
        now=NOW,
    )
    post_order(store=store, ladder=DEFAULT_LADDER, request=order("o", "a"), now=NOW)
    # A plan slipped in behind the order (the race the service closes in one statement).
    run_cypher(
        store,
        "CREATE (:Plan {version: 'p2', effective_from: $at, currency: 'CNY', document: $doc})",
        {"at": JAN - 1, "doc": plan("p2", JAN - 1, rules=[]).document_json()},
    )
    report = audit_ledger(store=store, ladder=DEFAULT_LADDER)
    assert [(d.problem, d.entry_id) for d in report.differences] == [
        ("order", None),
        ("unexpected", "o:o:0:0"),
    ]
    assert "priced under plan p1, but p2 is in force" in report.differences[0].detail


def test_a_paid_mark_posted_after_orders_it_would_reprice_corrects_the_history_only(
    store: CypherStore,
) -> None:
    """kid2's order is priced while her inviter mum has no paid invitee (no allowance); then
    kid's paid mark arrives, dated before that order: mum was phoenix from then on. The
    history says so from now on, a later order placed in that window is priced with it, and
    the order already priced stands; the audit replays each with the history it was priced
    with."""
    ladder = TierLadder(
        steps=(
            TierStep(tier="bee", min_paid_invites=0),
            TierStep(tier="phoenix", min_paid_invites=1),
        )
    )
    for member, inviter in (("mum", None), ("kid", "mum"), ("kid2", "mum")):
        request = MemberCreate(id=member, inviter_id=inviter, joined_at=JAN - DAY_MS)
        register_member(store=store, ladder=ladder, request=request, now=JAN)
    allowance = [{"kind": "training_allowance", "rate_bp": 300, "tier": "phoenix"}]
    load_plan(store=store, ladder=ladder, plan=plan(rules=allowance), now=NOW)

    def allowance_of(order_id: str) -> list[tuple[str, int]]:
        return [(e.beneficiary_id, e.amount) for e in store.entries_of_orders([order_id])]

    early = order("o1", "kid2", placed_at=JAN + 5 * DAY_MS)
    post_order(store=store, ladder=ladder, request=early, now=JAN + 5 * DAY_MS)
    assert allowance_of("o1") == []
    mark_member_paid(
        store=store, ladder=ladder, member_id="kid", paid_at=JAN + DAY_MS, now=JAN + 6 * DAY_MS
    )
    status = get_tier_status(
        store=store,
        ladder=ladder,
        spend_ladder=DEFAULT_SPEND_LADDER,
        member_id="mum",
        now=JAN + 6 * DAY_MS,
        as_of=JAN + 5 * DAY_MS,
    )
    assert (status.tier, status.since) == ("phoenix", JAN + DAY_MS)
    late = order("o2", "kid2", placed_at=JAN + 3 * DAY_MS)
    post_order(store=store, ladder=ladder, request=late, now=JAN + 6 * DAY_MS)
    assert allowance_of("o2") == [("mum", 300)]
    assert allowance_of("o1") == []
    assert audit_ledger(store=store, ladder=ladder).differences == []
