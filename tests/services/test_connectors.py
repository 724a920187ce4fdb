"""A connector run on both backends: scores written back, top-k by score or by a part,
the circle filter, a run read before any exists, and the export and write-back in pages."""

from __future__ import annotations

import pytest

from app.core.errors import InvalidInput
from app.domain.groups import GroupCreate
from app.domain.members import NewMemberRow
from app.domain.plans import DAY_MS
from app.domain.tiers import DEFAULT_LADDER
from app.services.connectors import run_connectors, top_connectors
from app.services.groups import add_member, create_group
from app.store import connector_queries
from app.store.cypher_store import CypherStore

NOW = 1_767_225_600_000


def two_trees_and_a_circle(store: CypherStore) -> None:
    """a invited b and c; d invited e; c and e read together (the circle bridges the trees).
    c and e joined in the last 30 days, the rest a year ago."""
    rows = [("a", None, 365), ("b", "a", 365), ("c", "a", 10), ("d", None, 365), ("e", "d", 10)]
    for member, inviter, days_ago in rows:
        row = NewMemberRow(
            id=member, inviter_id=inviter, name=None, joined_at=NOW - days_ago * DAY_MS,
            attributes_json=None,
        )  # fmt: skip
        assert store.register_members([row], DEFAULT_LADDER) == [member]
    reading = GroupCreate.model_validate({"id": "reading", "kind": "topic", "name": "Reading"})
    create_group(store=store, request=reading)
    for member in ("c", "e"):
        add_member(store=store, group_id="reading", member_id=member)


def test_a_run_scores_every_member_and_serves_top_k(store: CypherStore) -> None:
    assert top_connectors(store=store, limit=10, circle=None, sort="score").items == []
    two_trees_and_a_circle(store)
    run = run_connectors(store=store, ladder=DEFAULT_LADDER, now=NOW)
    assert (run.members, run.approximate, run.computed_at) == (5, False, NOW)
    # An exact run takes betweenness from Graph Data Science where the Neo4j has it.
    source = "gds" if store.gds_available() else "igraph"
    assert (run.betweenness_source, run.estimator, run.error_bound) == (source, "exact", 0.0)
    page = top_connectors(store=store, limit=10, circle=None, sort="betweenness")
    assert page.computed_at == NOW and not page.approximate
    assert (page.betweenness_source, page.estimator, page.error_bound) == (source, "exact", 0.0)
    by_id = {item.member_id: item for item in page.items}
    assert [item.rank for item in page.items] == [1, 2, 3, 4, 5]
    # The graph is the path b-a-c-(reading)-e-d. Of the 6 pairs of other members, c is on
    # 4 ({b,a} x {e,d}), a on 3 (b with c, e, d) and e on 3 ({b,a,c} with d); the circle
    # is an intermediary and never scored.
    assert [(i.member_id, round(i.parts.betweenness, 6)) for i in page.items] == [
        ("c", round(4 / 6, 6)),
        ("a", 0.5),
        ("e", 0.5),
        ("b", 0.0),
        ("d", 0.0),
    ]
    assert by_id["a"].parts.circles_reached == 1 and by_id["c"].parts.circles_reached == 0
    assert by_id["a"].parts.growth_30d == 1 and by_id["a"].parts.growth_90d == 1
    top = top_connectors(store=store, limit=2, circle=None, sort="score")
    assert len(top.items) == 2
    assert top.items[0].score >= top.items[1].score
    assert top.items[0].score == max(item.score for item in page.items)


def test_the_circle_filter_keeps_its_members(store: CypherStore) -> None:
    two_trees_and_a_circle(store)
    run_connectors(store=store, ladder=DEFAULT_LADDER, now=NOW)
    page = top_connectors(store=store, limit=10, circle="reading", sort="score")
    assert sorted(item.member_id for item in page.items) == ["c", "e"]
    assert [item.rank for item in page.items] == [1, 2]
    with pytest.raises(InvalidInput, match="sort must be one of"):
        top_connectors(store=store, limit=10, circle=None, sort="fame")


def test_the_export_pages_read_every_member_and_membership_once(
    store: CypherStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of 3 members (and 2 score rows per write): the arrays hold exactly what the
    one-query reads hold, and every member's written score reads back."""
    monkeypatch.setattr(connector_queries, "EXPORT_PAGE", 3)
    monkeypatch.setattr(connector_queries, "WRITE_BATCH", 2)
    two_trees_and_a_circle(store)
    for i in range(6):
        row = NewMemberRow(
            id=f"x{i}", inviter_id="a" if i % 2 else None, name=None,
            joined_at=NOW - i * DAY_MS, attributes_json=None,
        )  # fmt: skip
        assert store.register_members([row], DEFAULT_LADDER) == [f"x{i}"]
    chess = GroupCreate.model_validate({"id": "chess,club", "kind": "topic", "name": "Chess"})
    create_group(store=store, request=chess)
    for member in ("a", "x1", "x4", "e"):
        add_member(store=store, group_id="chess,club", member_id=member)
    arrays = store.connector_arrays()
    arrays.check()
    expected = {
        (m.id, m.inviter_id, m.joined_at, m.paid_direct_invites) for m in store.connector_members()
    }
    assert len(arrays.ids) == len(expected) == 11
    assert {
        (
            member_id,
            None if arrays.inviter[i] < 0 else arrays.ids[arrays.inviter[i]],
            arrays.joined_at[i],
            arrays.paid[i],
        )
        for i, member_id in enumerate(arrays.ids)
    } == expected
    memberships = {
        (arrays.ids[m], arrays.circle_ids[c])
        for m, c in zip(arrays.membership_member, arrays.membership_circle, strict=True)
    }
    assert len(arrays.membership_member) == len(memberships)
    assert memberships == {(ms.member_id, ms.circle_id) for ms in store.connector_memberships()}
    run_connectors(store=store, ladder=DEFAULT_LADDER, now=NOW)
    scored = store.connector_scores_of(arrays.ids)
    assert sorted(score.member_id for score in scored) == sorted(arrays.ids)
