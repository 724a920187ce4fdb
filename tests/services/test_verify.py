"""`verify` finds nothing on an imported network, and names the damage done behind the
store's back: a corrupted counter, a removed or an extra edge."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from app.domain.groups import GroupCreate, GroupKind
from app.services.generator import generate_network
from app.services.importer import import_members
from app.services.verify import verify_sample, verify_store
from app.store.cypher_store import CypherStore
from app.store.falkordb_store import FalkorDBStore
from app.store.neo4j_store import Neo4jStore
from tests.store.test_contract import LADDER

NETWORK = (
    "id,inviter_id,joined_at,paid_at,name\n"
    "root,,1,,Root\n"
    "a,root,2,5,A\n"
    "b,a,3,6,B\n"
    "c,b,4,,C\n"
    "other,,5,,Other\n"
)


def imported(store: CypherStore, tmp_path: Path) -> CypherStore:
    source = tmp_path / "network.csv"
    source.write_text(NETWORK)
    report = import_members(store=store, ladder=LADDER, source=source)
    assert report.problems == [] and report.created == 5
    return store


def damage(store: CypherStore, query: str, **params: Any) -> None:
    """Writes straight through the backend's client, past every rule of the store."""
    if isinstance(store, FalkorDBStore):
        store.graph.query(query, params)
    else:
        assert isinstance(store, Neo4jStore)
        store.driver.execute_query(query, params, database_=store.database)


def test_an_imported_network_verifies_clean(store: CypherStore, tmp_path: Path) -> None:
    report = verify_store(store=imported(store, tmp_path), ladder=LADDER)
    assert (report.members_checked, report.problems, report.ok) == (5, [], True)


def test_a_corrupted_counter_is_named(store: CypherStore, tmp_path: Path) -> None:
    imported(store, tmp_path)
    damage(store, "MATCH (m:Member {id: $id}) SET m.downline_total = $value", id="a", value=7)
    damage(store, "MATCH (m:Member {id: $id}) SET m.tier = $tier", id="other", tier="phoenix")
    report = verify_store(store=store, ladder=LADDER)
    assert not report.ok
    assert sorted(report.problems) == [
        "member a: downline_total stored 7, recounted 2",
        "member other: tier stored phoenix, expected bee for 0 paid direct invites",
    ]


def test_a_removed_edge_is_named_with_the_counters_it_breaks(
    store: CypherStore, tmp_path: Path
) -> None:
    imported(store, tmp_path)
    damage(store, "MATCH (:Member {id: $id})-[r:INVITED_BY]->() DELETE r", id="b")
    problems = verify_store(store=store, ladder=LADDER).problems
    assert "member b: inviter_id a but no INVITED_BY edge" in problems
    assert "member a: downline_total stored 2, recounted 0" in problems
    assert "member root: downline_total stored 3, recounted 1" in problems
    assert "member b: depth stored 2, recounted 0" in problems


def test_an_extra_edge_and_a_cycle_are_named(store: CypherStore, tmp_path: Path) -> None:
    imported(store, tmp_path)
    damage(
        store,
        "MATCH (c:Member {id: $child}), (o:Member {id: $other}) CREATE (c)-[:INVITED_BY]->(o)",
        child="c",
        other="other",
    )
    damage(
        store,
        "MATCH (r:Member {id: $root}), (c:Member {id: $leaf}) CREATE (r)-[:INVITED_BY]->(c)",
        root="root",
        leaf="c",
    )
    problems = verify_store(store=store, ladder=LADDER).problems
    assert "member c: 2 INVITED_BY edges (to b, other)" in problems
    assert "member root: inviter_id None but INVITED_BY edge to c" in problems
    assert "members in an INVITED_BY cycle: a → root → c → b → a" in problems


def test_a_member_stored_before_her_inviter_joined_is_named(
    store: CypherStore, tmp_path: Path
) -> None:
    imported(store, tmp_path)
    damage(store, "MATCH (m:Member {id: $id}) SET m.joined_at = $at", id="b", at=1)
    damage(store, "MATCH (m:Member {id: $id}) SET m.joined_at = $at", id="c", at=2)  # a tie: fine
    assert verify_store(store=store, ladder=LADDER).problems == [
        "member b: joined_at 1970-01-01T00:00:00.001Z is before her inviter a joined "
        "(1970-01-01T00:00:00.002Z)"
    ]


def test_a_group_total_that_disagrees_with_its_members_is_named(
    store: CypherStore, tmp_path: Path
) -> None:
    imported(store, tmp_path)
    store.put_groups([GroupCreate(id=g, kind=GroupKind.TOPIC, name="Reading") for g in "xyz"])
    store.add_group_members([("x", "a"), ("x", "b"), ("y", "a"), ("y", "c")])
    assert verify_store(store=store, ladder=LADDER).ok
    # x and y hold equal totals, names and kinds: each is still counted on its own.
    damage(store, "MATCH (:Member {id: 'c'})-[e:MEMBER_OF]->(:Group {id: 'y'}) DELETE e")
    damage(store, "MATCH (g:Group {id: 'z'}) SET g.members_total = 3")
    assert verify_store(store=store, ladder=LADDER).problems == [
        "group y: members_total stored 2, recounted 1",
        "group z: members_total stored 3, recounted 0",
    ]


def test_a_sample_that_draws_everyone_names_what_the_full_verify_names(
    store: CypherStore, tmp_path: Path
) -> None:
    imported(store, tmp_path)
    assert verify_sample(store=store, ladder=LADDER, size=10).problems == []
    damage(store, "MATCH (m:Member {id: $id}) SET m.downline_total = $value", id="a", value=7)
    damage(store, "MATCH (m:Member {id: $id}) SET m.levels_paid = $v", id="root", v=[0] * 10)
    damage(store, "MATCH (m:Member {id: $id}) SET m.depth = $value", id="c", value=9)
    damage(store, "MATCH (m:Member {id: $id}) SET m.tier = $tier", id="other", tier="phoenix")
    full = verify_store(store=store, ladder=LADDER)
    sampled = verify_sample(store=store, ladder=LADDER, size=10)
    assert sampled.members_checked == 5
    assert sorted(sampled.problems) == sorted(full.problems) and len(full.problems) == 4


def test_a_sampled_recount_equals_the_full_recount_on_a_generated_network(
    store: CypherStore, tmp_path: Path
) -> None:
    """Every member's walk agrees with the packed recount, so a sample finds nothing on a
    healthy graph; one corrupted member among 300 is found once the sample draws her."""
    network = tmp_path / "network.csv"
    generate_network(members=300, out=network, seed=3)
    import_members(store=store, ladder=LADDER, source=network)
    assert verify_sample(store=store, ladder=LADDER, size=300).problems == []
    victim = random.Random(3).choice([f"m{i}" for i in range(300)])
    damage(store, "MATCH (m:Member {id: $id}) SET m.downline_paid = m.downline_paid + 1", id=victim)
    assert verify_sample(store=store, ladder=LADDER, size=300).problems == [
        next(iter(verify_store(store=store, ladder=LADDER).problems))
    ]
    partial = verify_sample(store=store, ladder=LADDER, size=30)
    assert partial.members_checked == 30 and len(partial.problems) <= 1
