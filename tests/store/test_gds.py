"""Graph Data Science on Neo4j (app/store/neo4j_gds.py) against our igraph core
(app/domain/connectors.py, held to networkx in tests/domain/test_connectors.py): the probe,
betweenness on Zachary's karate club and on
generated referral networks, with and without circles, and the connector run that uses it.

The GDS tests need the Neo4j the suite runs on to have GDS (scripts/neo4j-local installs
it). Without it they skip saying why, and fail under REFGRAPH_REQUIRE_NEO4J=1, where the
local Neo4j, GDS included, is part of the test setup."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import networkx as nx  # type: ignore[import-untyped]
import pytest

from app.core.errors import GdsUnavailable
from app.domain.connectors import (
    CircleMembership,
    ConnectorProjection,
    ProjectedMember,
    member_betweenness,
)
from app.domain.groups import GroupCreate
from app.domain.members import NewMemberRow
from app.domain.tiers import DEFAULT_LADDER
from app.services import connectors
from app.services.connectors import run_connectors, top_connectors
from app.services.generator import generate_network
from app.services.importer import import_members
from app.store.catalogue import Backend
from app.store.port import GraphStore
from tests.conftest import api_stack, drop_test_store, open_test_store
from tests.engines import run_cypher

NOW = 1_767_225_600_000
EXACT = 1e-9


@pytest.fixture
def gds_store(request: pytest.FixtureRequest) -> Iterator[GraphStore]:
    """A Neo4j store whose engine has GDS, through the stack the API serves from (the
    adapter's one-transaction read of the GDS steps must run behind it), else a skip (a
    failure under REFGRAPH_REQUIRE_NEO4J=1) naming the engine and what it answered."""
    opened = open_test_store(request, Backend.NEO4J)
    try:
        opened.gds_version()
    except GdsUnavailable as error:
        drop_test_store(opened)
        url = request.getfixturevalue("neo4j_bolt_url")
        message = f"the Neo4j at {url} has no Graph Data Science: {error}"
        if os.environ.get("REFGRAPH_REQUIRE_NEO4J") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with api_stack(opened) as grouped:
        yield grouped
    drop_test_store(opened)


@pytest.fixture
def falkordb_store(request: pytest.FixtureRequest) -> Iterator[GraphStore]:
    opened = open_test_store(request, Backend.FALKORDB)
    with api_stack(opened) as grouped:
        yield grouped
    drop_test_store(opened)


def test_falkordb_has_no_gds(falkordb_store: GraphStore) -> None:
    assert not falkordb_store.gds_available()
    with pytest.raises(GdsUnavailable, match="FalkorDB has no Graph Data Science"):
        falkordb_store.gds_version()


def test_the_probe_names_the_version(gds_store: GraphStore) -> None:
    assert gds_store.gds_available()
    assert gds_store.gds_version().startswith("2.")


# --- the networks --------------------------------------------------------------------------


def projection_of(
    members: list[tuple[str, str | None]], circles: dict[str, list[str]] | None = None
) -> ConnectorProjection:
    return ConnectorProjection(
        members=tuple(
            ProjectedMember(
                id=m, inviter_id=inviter, joined_at=0, paid_direct_invites=0, tier="bee"
            )
            for m, inviter in members
        ),
        memberships=tuple(
            CircleMembership(member_id=m, circle_id=c)
            for c, ids in (circles or {}).items()
            for m in ids
        ),
        ladder=DEFAULT_LADDER,
    )


def ours(projection: ConnectorProjection) -> dict[str, float]:
    shares, approximate = member_betweenness(projection, sample_sources=None, seed=0)
    assert not approximate
    return shares


def assert_agree(got: dict[str, float], want: dict[str, float]) -> None:
    assert got.keys() == want.keys()
    worst = max(abs(got[m] - want[m]) for m in want)
    assert worst <= EXACT, f"largest difference {worst}"


def load(store: GraphStore, members: list[tuple[str, str | None]]) -> None:
    """Registers members in waves (an inviter before her invitees)."""
    done: set[str] = set()
    pending = list(members)
    while pending:
        wave = [(m, i) for m, i in pending if i is None or i in done]
        rows = [
            NewMemberRow(id=m, inviter_id=i, name=None, joined_at=NOW, attributes_json=None)
            for m, i in wave
        ]
        assert sorted(store.register_members(rows, DEFAULT_LADDER)) == sorted(m for m, _ in wave)
        done.update(m for m, _ in wave)
        pending = [(m, i) for m, i in pending if m not in done]


def load_circles(store: GraphStore, circles: dict[str, list[str]]) -> None:
    store.put_groups(
        [
            GroupCreate.model_validate({"id": c, "kind": "topic", "name": f"Circle {c}"})
            for c in sorted(circles)
        ]
    )
    store.add_group_members([(c, m) for c, ids in circles.items() for m in ids])


def referral_network(
    seed: int, members: int, circles: int, circle_size: int
) -> tuple[list[tuple[str, str | None]], dict[str, list[str]]]:
    """Members in a few invitation trees (many ties among shortest paths once circles join
    them), and circles drawn at random so that some pairs share two circles."""
    rng = random.Random(seed)
    ids = [f"m{i}" for i in range(members)]
    inviters = [
        (ids[i], None if i == 0 or rng.random() < 0.03 else ids[rng.randrange(max(0, i - 20), i)])
        for i in range(members)
    ]
    drawn = {f"c{c}": rng.sample(ids, rng.randint(2, circle_size)) for c in range(circles)}
    # Two members in two circles together: two paths of length 2 between them.
    drawn["twin-a"] = [ids[1], ids[members - 1]]
    drawn["twin-b"] = [ids[1], ids[members - 1], ids[members // 2]]
    return inviters, drawn


def karate() -> nx.Graph:
    return nx.karate_club_graph()


# --- betweenness: GDS against networkx -----------------------------------------------------


def test_karate_club_as_invitations(gds_store: GraphStore) -> None:
    """Each friendship an invitation edge. Not a forest, so it is written directly (the
    projection never relies on it); ours takes each friendship as a circle of two, which
    has the same shares (tests/domain/test_connectors.py)."""
    graph = karate()
    run_cypher(
        gds_store,
        "UNWIND $ids AS id CREATE (:Member {id: id})",
        {"ids": [str(n) for n in graph.nodes]},
    )
    run_cypher(
        gds_store,
        "UNWIND $edges AS e MATCH (a:Member {id: e[0]}), (b:Member {id: e[1]}) "
        "CREATE (a)-[:INVITED_BY]->(b)",
        {"edges": [[str(u), str(v)] for u, v in graph.edges]},
    )
    got = gds_store.gds_member_betweenness(with_circles=False)
    want = ours(
        projection_of(
            [(str(n), None) for n in graph.nodes],
            {f"e{u}-{v}": [str(u), str(v)] for u, v in graph.edges},
        )
    )
    assert_agree(got, want)
    assert got["0"] == pytest.approx(0.43763528, abs=1e-8)
    assert got["33"] == pytest.approx(0.30407498, abs=1e-8)


def test_karate_club_as_circles(gds_store: GraphStore) -> None:
    """The same network with no invitations at all, each friendship a circle of two: GDS
    sees circles only through their members-only form."""
    graph = karate()
    members: list[tuple[str, str | None]] = [(str(n), None) for n in graph.nodes]
    circles = {f"e{u}-{v}": [str(u), str(v)] for u, v in graph.edges}
    load(gds_store, members)
    load_circles(gds_store, circles)
    got = gds_store.gds_member_betweenness(with_circles=True)
    assert_agree(got, ours(projection_of(members, circles)))
    assert got["0"] == pytest.approx(0.43763528, abs=1e-8)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_generated_referral_network(gds_store: GraphStore, seed: int) -> None:
    members, circles = referral_network(seed, members=150, circles=12, circle_size=12)
    load(gds_store, members)
    assert_agree(gds_store.gds_member_betweenness(with_circles=False), ours(projection_of(members)))
    load_circles(gds_store, circles)
    assert_agree(
        gds_store.gds_member_betweenness(with_circles=True), ours(projection_of(members, circles))
    )


def test_circles_are_never_endpoints(gds_store: GraphStore) -> None:
    """A circle hanging off one member: GDS with the circle as a node would credit her with
    every pair (member, circle) and give her a share; ours gives none (she lies between no
    two other members)."""
    members: list[tuple[str, str | None]] = [("a", None), ("b", "a"), ("c", "b")]
    load(gds_store, members)
    load_circles(gds_store, {"solo": ["c"]})
    got = gds_store.gds_member_betweenness(with_circles=True)
    assert got == {"a": 0.0, "b": 1.0, "c": 0.0}
    assert got == ours(projection_of(members, {"solo": ["c"]}))


def test_projections_are_dropped(gds_store: GraphStore) -> None:
    load(gds_store, [("a", None), ("b", "a"), ("c", "b")])
    # Only this run's: a run another test's store closed under left its own behind.
    before = set(_projections(gds_store))
    gds_store.gds_member_betweenness(with_circles=False)
    assert set(_projections(gds_store)) <= before


def _projections(store: GraphStore) -> list[str]:
    from app.store.coalescing import CoalescingStore
    from app.store.neo4j_store import Neo4jStore

    inner = store.inner if isinstance(store, CoalescingStore) else store
    assert isinstance(inner, Neo4jStore)
    records, _, _ = inner.driver.execute_query(
        "CALL gds.graph.list() YIELD graphName WHERE graphName STARTS WITH 'refgraph-' "
        "RETURN graphName",
        database_=inner.database,
    )
    return [record["graphName"] for record in records]


# --- the connector run ---------------------------------------------------------------------


def generated(tmp_path: Path, *stores: GraphStore, circles: bool) -> None:
    """The same generated network (and circles) in every store."""
    out = tmp_path / "network.csv"
    generate_network(members=400, out=out, seed=11)
    rng = random.Random(11)
    ids = [f"m{i}" for i in range(400)]
    drawn = {f"c{c}": rng.sample(ids, 15) for c in range(8)} if circles else {}
    for store in stores:
        report = import_members(store=store, ladder=DEFAULT_LADDER, source=out, now=NOW)
        assert report.created == 400
        if drawn:
            load_circles(store, drawn)


def betweenness_of(store: GraphStore) -> dict[str, float]:
    page = top_connectors(store=store, limit=1000, circle=None, sort="betweenness")
    return {item.member_id: item.parts.betweenness for item in page.items}


@pytest.mark.parametrize("circles", [False, True], ids=["invitations", "with-circles"])
def test_a_run_on_neo4j_takes_betweenness_from_gds(
    tmp_path: Path, gds_store: GraphStore, falkordb_store: GraphStore, circles: bool
) -> None:
    generated(tmp_path, gds_store, falkordb_store, circles=circles)
    on_neo4j = run_connectors(store=gds_store, ladder=DEFAULT_LADDER, now=NOW)
    on_falkordb = run_connectors(store=falkordb_store, ladder=DEFAULT_LADDER, now=NOW)
    assert (on_neo4j.betweenness_source, on_falkordb.betweenness_source) == ("gds", "igraph")
    assert not on_neo4j.approximate and not on_falkordb.approximate
    page = top_connectors(store=gds_store, limit=10, circle=None, sort="score")
    assert page.betweenness_source == "gds"
    assert_agree(betweenness_of(gds_store), betweenness_of(falkordb_store))
    # Compared by member, not by rank: members whose scores tie up to the last bits of a
    # double may be ranked either way round.
    scores = {
        store.backend: {
            item.member_id: item.score
            for item in top_connectors(store=store, limit=1000, circle=None, sort="score").items
        }
        for store in (gds_store, falkordb_store)
    }
    assert_agree(scores[Backend.NEO4J], scores[Backend.FALKORDB])


def test_circles_too_large_for_gds_stay_in_igraph(
    tmp_path: Path,
    gds_store: GraphStore,
    falkordb_store: GraphStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """8 circles of 15 are 840 member-to-member edges; past the limit GDS is not asked."""
    monkeypatch.setattr(connectors, "GDS_CIRCLE_PAIR_EDGES_LIMIT", 839)
    generated(tmp_path, gds_store, falkordb_store, circles=True)
    run = run_connectors(store=gds_store, ladder=DEFAULT_LADDER, now=NOW)
    assert run.betweenness_source == "igraph"
    run_connectors(store=falkordb_store, ladder=DEFAULT_LADDER, now=NOW)
    assert_agree(betweenness_of(gds_store), betweenness_of(falkordb_store))


def test_a_sampled_run_stays_in_igraph(
    tmp_path: Path, gds_store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GDS's sampling draws sources by degree and node order and does not scale: not our
    estimator, so a sampled run is igraph's."""
    monkeypatch.setattr(connectors, "EXACT_UP_TO", 100)
    generated(tmp_path, gds_store, circles=True)
    run = run_connectors(store=gds_store, ladder=DEFAULT_LADDER, now=NOW, sample_sources=8)
    assert (run.approximate, run.betweenness_source, run.estimator) == (True, "igraph", "sampled")
    page = top_connectors(store=gds_store, limit=1, circle=None, sort="score")
    assert (page.betweenness_source, page.estimator, page.sources) == ("igraph", "sampled", 8)
    assert page.error_bound is not None and page.error_bound > 0


def test_a_run_stored_before_sources_were_recorded_reads_as_networkx(
    store: GraphStore,
) -> None:
    run_cypher(
        store,
        "CREATE (:ConnectorRun {key: 'latest', computed_at: 1, approximate: false, "
        "members: 0, rankings: $rankings})",
        {"rankings": '{"score": []}'},
    )
    page = top_connectors(store=store, limit=10, circle=None, sort="score")
    assert (page.betweenness_source, page.estimator, page.sources) == ("networkx", None, None)
