"""`refgraph audit` on both backends: a sound ledger re-derives exactly; a tampered, lost or
invented entry is reported."""

from __future__ import annotations

from app.domain.tiers import DEFAULT_LADDER
from app.services.audit import audit_ledger
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
        " path_ids: ['b', 'a'], created_at: 1, available_from: 1})",
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
