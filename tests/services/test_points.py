"""The points use cases on both backends: grants and redemptions racing, grants before she
joined, and `refgraph audit` naming every points entry tampered with, lost, invented or
overdrawn."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from app.core.errors import Conflict, InvalidInput
from app.domain.plans import DAY_MS
from app.domain.points import GrantCreate, RedemptionCreate
from app.domain.tiers import DEFAULT_LADDER
from app.services.audit import audit_ledger
from app.services.orders import post_order
from app.services.plans import load_plan
from app.services.points import grant_points, points_balance, redeem_points
from app.store.cypher_store import CypherStore
from tests.engines import run_cypher
from tests.services.test_orders import JAN, NOW, chain, order, plan, refund

POINTS = {"earn": {"points": 1, "per": 100}, "grants": {"bind_phone": 200},
          "redemption": {"points": 100, "value": 100}}  # fmt: skip


def with_points(store: CypherStore) -> None:
    chain(store, "ann", joined_at=JAN)
    load_plan(store=store, ladder=DEFAULT_LADDER, plan=plan(points=POINTS), now=NOW)


def redeem(store: CypherStore, redemption_id: str, points: int) -> str:
    request = RedemptionCreate.model_validate({"id": redemption_id, "points": points, "for": "v"})
    try:
        redeem_points(store=store, member_id="ann", request=request, now=NOW)
    except Conflict:
        return "refused"
    return "redeemed"


def test_concurrent_redemptions_spend_each_point_once(store: CypherStore) -> None:
    with_points(store)
    # Three rounds: the race this guards (a balance read that missed a redemption committed
    # while it ran) shows on Neo4j in about one round in six.
    for round_ in range(3):
        request = order(f"o{round_}", "ann", 50_000)
        post_order(store=store, ladder=DEFAULT_LADDER, request=request, now=NOW)
        with ThreadPoolExecutor(8) as pool:
            ids = [f"x{round_}-{k}" for k in range(12)]
            outcomes = list(pool.map(lambda redemption: redeem(store, redemption, 100), ids))
        # 500 points: five redemptions of 100, then nothing left.
        assert sorted(outcomes) == ["redeemed"] * 5 + ["refused"] * 7
        assert points_balance(store=store, member_id="ann", at=NOW, within_ms=0).balance == 0
    assert audit_ledger(store=store, ladder=DEFAULT_LADDER).ok


def test_concurrent_grants_of_one_action_grant_it_once(store: CypherStore) -> None:
    with_points(store)

    def grant(k: int) -> str:
        request = GrantCreate(action="bind_phone", id=f"g{k}")
        try:
            _, created = grant_points(store=store, member_id="ann", request=request, now=NOW)
        except Conflict:
            return "refused"
        return "granted" if created else "retry"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(grant, range(8)))
    assert sorted(outcomes) == ["granted"] + ["refused"] * 7
    assert points_balance(store=store, member_id="ann", at=NOW, within_ms=0).balance == 200


def test_a_grant_before_she_joined_is_refused(store: CypherStore) -> None:
    with_points(store)  # ann joined at JAN, under a plan in force from the day before
    request = GrantCreate(action="bind_phone", id="g1", at=JAN - 1)
    with pytest.raises(InvalidInput, match="before member ann joined"):
        grant_points(store=store, member_id="ann", request=request, now=NOW)
    assert points_balance(store=store, member_id="ann", at=NOW, within_ms=0).balance == 0


def test_the_audit_names_points_tampered_lost_invented_and_overdrawn(store: CypherStore) -> None:
    with_points(store)
    for k in range(3):
        request = order(f"o{k}", "ann", 10_000 * (k + 1), placed_at=JAN + k)  # 100, 200, 300
        post_order(store=store, ladder=DEFAULT_LADDER, request=request, now=NOW)
    refund(store, "o2", "r2", 15_000, at=JAN + DAY_MS)  # takes back 150
    phone = GrantCreate(action="bind_phone", id="g1", at=JAN)
    grant_points(store=store, member_id="ann", request=phone, now=NOW)
    assert redeem(store, "x1", 400) == "redeemed"  # 100 + 200 + 300 - 150 + 200 = 650
    assert audit_ledger(store=store, ladder=DEFAULT_LADDER).ok
    run_cypher(store, "MATCH (p:PointsEntry {id: 'po:o0'}) SET p.points = 1000")
    run_cypher(store, "MATCH (p:PointsEntry {id: 'pr:r2'}) DELETE p")
    run_cypher(
        store,
        "CREATE (:PointsEntry {id: 'pg:ann:write_review', member_id: 'ann', kind: 'grant',"
        " points: 50, event_at: 1767225600000, created_at: 1, plan_version: 'p1',"
        " action: 'write_review', request_id: 'g9'})",
    )
    # A redemption of 10,000 points she never had, written past the service.
    run_cypher(
        store,
        "CREATE (:PointsEntry {id: 'px:ann:x9', member_id: 'ann', kind: 'redemption',"
        " points: -10000, event_at: 1767312000000, created_at: 1, plan_version: 'p1',"
        " request_id: 'x9', redemption_for: 'v', value: 10000, currency: 'CNY', seq: 2})",
    )
    report = audit_ledger(store=store, ladder=DEFAULT_LADDER)
    found = {(d.problem, d.entry_id) for d in report.differences}
    assert found == {
        ("differs", "po:o0"),
        ("missing", "pr:r2"),
        ("unexpected", "pg:ann:write_review"),
        ("overdrawn", "px:ann:x9"),
    }
    differs = next(d for d in report.differences if d.problem == "differs")
    assert differs.detail == "points: stored 1000, re-derived 100"
    assert report.points_entries == 7  # 3 earns, a grant, a redemption, and the two invented
