"""Data migrations on both backends: a ledger written before entries kept their event time
(and before an entry released at its write said so) gets both from the facts it points to."""

from __future__ import annotations

import pytest

from app.domain.ledger import LedgerEntry, OrderCreate, RefundCreate
from app.domain.members import NewMemberRow
from app.domain.plans import DAY_MS
from app.domain.search import MemberSearch
from app.domain.tiers import DEFAULT_LADDER
from app.services.audit import audit_ledger
from app.services.members import mark_member_paid
from app.services.orders import post_order, post_refund
from app.services.plans import load_plan
from app.store import search_queries
from app.store.catalogue import Backend
from app.store.cypher_store import CypherStore
from app.store.migrations import apply_migrations
from tests.engines import ROOT, run_cypher
from tests.services.test_orders import JAN, chain, plan

EVENT_TIME = {Backend.FALKORDB: "017_entry_event_time", Backend.NEO4J: "010_entry_event_time"}
SEARCH_KEYS = {Backend.FALKORDB: "019_search_keys", Backend.NEO4J: "013_search_keys"}
LATER = JAN + 60 * DAY_MS  # when the history below was posted: every hold had passed


def a_history_posted_late(store: CypherStore) -> None:
    """mum ← kid: kid's order placed in January and refunded in half on 20 January, and her
    paid mark of 10 January (a plan that pays on it), all written two months later."""
    chain(store, "mum", "kid")
    rules = [
        {"kind": "referral_bonus", "amount": 1500, "trigger": "paid"},
        {"kind": "self_rebate", "rate_bp": 500, "hold_days": 7},
        {"kind": "distribution", "level_rates_bp": [200]},
    ]
    load_plan(store=store, ladder=DEFAULT_LADDER, plan=plan(rules=rules), now=JAN)
    placed = OrderCreate(
        id="o1", buyer_id="kid", amount=10_000, currency="CNY", placed_at=JAN + DAY_MS
    )
    post_order(store=store, ladder=DEFAULT_LADDER, request=placed, now=LATER)
    refund = RefundCreate(id="r1", amount=5000, refunded_at=JAN + 19 * DAY_MS)
    post_refund(store=store, ladder=DEFAULT_LADDER, order_id="o1", request=refund, now=LATER)
    mark_member_paid(
        store=store, ladder=DEFAULT_LADDER, member_id="kid", paid_at=JAN + 9 * DAY_MS, now=LATER
    )


def test_entries_written_before_event_time_get_it_from_their_facts(store: CypherStore) -> None:
    a_history_posted_late(store)
    expected = {e.id: (e.event_at, e.released_at) for e in every_entry(store)}
    assert set(expected.values()) == {
        (JAN + DAY_MS, LATER),
        (JAN + 19 * DAY_MS, LATER),
        (JAN + 9 * DAY_MS, LATER),
    }
    # As an older version wrote them: no event time, and released entries without the moment.
    run_cypher(store, "MATCH (e:LedgerEntry) REMOVE e.event_at SET e.released_at = null")
    run_cypher(store, "MATCH (m:Migration {name: $name}) DELETE m", {"name": migration(store)})
    assert apply_migrations(store, ROOT / "migrations") == [migration(store)]
    assert {e.id: (e.event_at, e.released_at) for e in every_entry(store)} == expected
    assert audit_ledger(store=store, ladder=DEFAULT_LADDER).differences == []


def test_members_stored_before_search_get_their_keys_and_are_found(
    store: CypherStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # More members than one backfill statement writes, some of them already keyed.
    monkeypatch.setattr(search_queries, "BACKFILL_BATCH", 7)
    rows = [
        NewMemberRow(id=f"M{n:02d}", inviter_id=None, name=name, joined_at=n, attributes_json=None)
        for n, name in enumerate(["Ann", "王芳", None, "Straße"] * 5)
    ]
    store.register_members(rows, DEFAULT_LADDER)
    everyone = MemberSearch()
    found = {q: ids_found(store, MemberSearch(q=q)) for q in ("m0", "an", "王", "strasse")}
    assert found["m0"] == [f"M{n:02d}" for n in range(10)]
    assert len(found["an"]) == len(found["王"]) == len(found["strasse"]) == 5
    # As an older version left them: members without keys (all but M00 to M06).
    run_cypher(store, "MATCH (k:SearchKey) WHERE k.member_id > 'M06' DETACH DELETE k")
    run_cypher(
        store, "MATCH (m:Migration {name: $name}) DELETE m", {"name": SEARCH_KEYS[store.backend]}
    )
    assert ids_found(store, MemberSearch(q="m1")) == []
    assert apply_migrations(store, ROOT / "migrations") == [SEARCH_KEYS[store.backend]]
    assert {q: ids_found(store, MemberSearch(q=q)) for q in found} == found
    assert len(ids_found(store, everyone)) == 20
    assert store.backfill_search_keys() == 0  # nothing left to write


def ids_found(store: CypherStore, search: MemberSearch) -> list[str]:
    return [record.id for record in store.search_members(search, None, 100)]


def every_entry(store: CypherStore) -> list[LedgerEntry]:
    return [*store.entries_of_orders(["o1"]), *store.paid_bonus_entries()]


def migration(store: CypherStore) -> str:
    return EVENT_TIME[store.backend]


FACTS_ON_MEMBERS = {
    Backend.FALKORDB: "040_identity_facts_on_members",
    Backend.NEO4J: "023_identity_facts_on_members",
}


def test_identity_facts_kept_as_nodes_move_onto_their_members(store: CypherStore) -> None:
    rows = [
        NewMemberRow(id=m, inviter_id=None, name=None, joined_at=1, attributes_json=None)
        for m in ("ann", "bob", "cat")
    ]
    store.register_members(rows, DEFAULT_LADDER)
    # As an older version wrote them: a node per fact (bob's second device seen later).
    old = [
        ("ann", "device_id", "tablet-0001", 10),
        ("ann", "phone_hash", "ab" * 16, 10),
        ("bob", "device_id", "tablet-0001", 20),
        ("bob", "device_id", "phone-00000002", 25),
    ]
    for member_id, kind, value, at in old:
        run_cypher(
            store,
            "CREATE (:IdentityFact {member_id: $m, key: $key, kind: $kind, value: $value, "
            "at: $at, written_at: $at})",
            {"m": member_id, "key": f"{kind}:{value}", "kind": kind, "value": value, "at": at},
        )
    run_cypher(
        store,
        "MATCH (m:Migration {name: $name}) DELETE m",
        {"name": FACTS_ON_MEMBERS[store.backend]},
    )

    assert apply_migrations(store, ROOT / "migrations") == [FACTS_ON_MEMBERS[store.backend]]

    moved = sorted((f.member_id, f.kind, f.value, f.at) for f in store.identity_facts())
    assert moved == sorted(old)
    # A fact sent again keeps its first time; a new one is added.
    assert store.put_identity_facts(
        "bob", [("device_id", "tablet-0001"), ("phone_hash", "cd" * 16)], 30, 30
    )
    bob = sorted((f.kind, f.value, f.at) for f in store.identity_facts() if f.member_id == "bob")
    assert bob == [
        ("device_id", "phone-00000002", 25),
        ("device_id", "tablet-0001", 20),
        ("phone_hash", "cd" * 16, 30),
    ]
    # The nodes are gone: run again, the migration finds none and leaves the members as they are.
    run_cypher(
        store,
        "MATCH (m:Migration {name: $name}) DELETE m",
        {"name": FACTS_ON_MEMBERS[store.backend]},
    )
    assert apply_migrations(store, ROOT / "migrations") == [FACTS_ON_MEMBERS[store.backend]]
    assert len(store.identity_facts()) == len(old) + 1
