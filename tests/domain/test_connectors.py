"""Connector discovery's pure core: each part on hand-made networks with hand-worked values,
betweenness against a published network, and the combined score."""

from __future__ import annotations

import random
from array import array

import networkx as nx  # type: ignore[import-untyped]
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from app.domain.connectors import (
    DAY_MS,
    PART_NAMES,
    WEIGHTS,
    CircleMembership,
    ConnectorArrays,
    ConnectorParts,
    ConnectorProjection,
    ProjectedMember,
    circles_reached,
    connector_columns,
    connector_parts,
    connector_scores,
    growth_counts,
    member_betweenness,
    member_betweenness_arrays,
    rising,
    score_column,
)
from app.domain.tiers import DEFAULT_LADDER


def network(
    inviters: list[tuple[str, str | None]],
    circles: dict[str, list[str]] | None = None,
    *,
    joined: dict[str, int] | None = None,
    paid: dict[str, int] | None = None,
) -> ConnectorProjection:
    """A projection from (id, inviter_id) pairs and circle -> member ids."""
    joined = joined or {}
    paid = paid or {}
    return ConnectorProjection(
        members=tuple(
            ProjectedMember(
                id=member_id,
                inviter_id=inviter,
                joined_at=joined.get(member_id, 0),
                paid_direct_invites=paid.get(member_id, 0),
                tier=DEFAULT_LADDER.tier_for(paid.get(member_id, 0)),
            )
            for member_id, inviter in inviters
        ),
        memberships=tuple(
            CircleMembership(member_id=m, circle_id=c)
            for c, members in (circles or {}).items()
            for m in members
        ),
        ladder=DEFAULT_LADDER,
    )


def random_network(seed: int, members: int, circles: int, circle_size: int) -> ConnectorProjection:
    rng = random.Random(seed)
    ids = [f"m{i}" for i in range(members)]
    inviters = [
        (ids[i], None if i == 0 or rng.random() < 0.05 else ids[rng.randrange(i)])
        for i in range(members)
    ]
    return network(
        inviters,
        {f"c{c}": rng.sample(ids, circle_size) for c in range(circles)},
        joined={member_id: rng.randrange(120) * DAY_MS for member_id in ids},
    )


# --- the projection ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inviters", "circles"),
    [
        ([("a", None), ("a", None)], {}),  # duplicate id
        ([("a", "ghost")], {}),  # inviter not projected
        ([("a", None)], {"c": ["ghost"]}),  # membership of a stranger
        ([("a", "b"), ("b", "a")], {}),  # cycle
        ([("a", "a")], {}),  # self-invite
    ],
)
def test_a_projection_is_a_forest_over_known_members(
    inviters: list[tuple[str, str | None]], circles: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError):
        network(inviters, circles)


# --- betweenness ---------------------------------------------------------------------------


def test_karate_club_matches_the_published_betweenness() -> None:
    """Zachary's karate club (J. Anthropol. Res. 33, 1977); published normalised betweenness
    of the instructor (node 0) 0.43763528 and the administrator (node 33) 0.30407498. Each
    friendship becomes a circle of two: every path doubles in length, so shortest paths
    and their counts, hence the shares, are unchanged, and circles are only intermediaries."""
    karate = nx.karate_club_graph()
    projection = network(
        [(str(node), None) for node in karate.nodes],
        {f"e{u}-{v}": [str(u), str(v)] for u, v in karate.edges},
    )
    shares, approximate = member_betweenness(projection, sample_sources=None, seed=0)
    assert not approximate
    assert set(shares) == {str(node) for node in karate.nodes}
    assert shares["0"] == pytest.approx(0.43763528, abs=1e-8)
    assert shares["33"] == pytest.approx(0.30407498, abs=1e-8)
    classic = nx.betweenness_centrality(karate, normalized=True)
    assert all(shares[str(node)] == pytest.approx(value) for node, value in classic.items())


def networkx_betweenness(projection: ConnectorProjection) -> dict[str, float]:
    """The oracle: the module docstring's definition, computed by networkx on the graph of
    members and circles (subset betweenness from every member to every member, which
    networkx halves on an undirected graph so that each unordered pair counts once)."""
    index = {m.id: i for i, m in enumerate(projection.members)}
    circles: dict[str, int] = {}
    for ms in projection.memberships:
        circles.setdefault(ms.circle_id, len(index) + len(circles))
    graph = nx.Graph()
    graph.add_nodes_from(range(len(index) + len(circles)))
    graph.add_edges_from(
        (index[m.inviter_id], index[m.id]) for m in projection.members if m.inviter_id
    )
    graph.add_edges_from(
        (index[ms.member_id], circles[ms.circle_id]) for ms in projection.memberships
    )
    n = len(index)
    raw = nx.betweenness_centrality_subset(
        graph, sources=list(range(n)), targets=list(range(n)), normalized=False
    )
    pairs = (n - 1) * (n - 2) / 2
    return {m.id: raw[i] / pairs if n >= 3 else 0.0 for i, m in enumerate(projection.members)}


@pytest.mark.parametrize("seed", range(30))
def test_igraph_equals_networkx_on_generated_networks(seed: int) -> None:
    """Forests with roots, chains and leaves, circles overlapping, of one member, repeated
    memberships, whole components without a cycle: every shape the exact part handles."""
    rng = random.Random(seed)
    projection = random_network(
        seed, rng.randrange(3, 150), rng.randrange(0, 15), rng.randrange(1, 12)
    )
    if seed % 3 == 0:  # a repeated membership must not count as a second path
        first = projection.memberships[:1]
        projection = projection.model_copy(update={"memberships": projection.memberships + first})
    shares, approximate = member_betweenness(projection, sample_sources=None, seed=0)
    assert not approximate
    oracle = networkx_betweenness(projection)
    assert shares.keys() == oracle.keys()
    assert all(abs(shares[m] - oracle[m]) <= 1e-9 for m in oracle)


@pytest.mark.parametrize("workers", [1, 2])
def test_igraph_equals_networkx_on_a_larger_network_in_worker_processes(workers: int) -> None:
    projection = random_network(seed=5, members=600, circles=30, circle_size=15)
    estimate = member_betweenness_arrays(
        ConnectorArrays.from_projection(projection), sample_sources=None, seed=0, workers=workers
    )
    assert (estimate.estimator, estimate.error_bound) == ("exact", 0.0)
    oracle = networkx_betweenness(projection)
    for i, m in enumerate(projection.members):
        assert abs(estimate.values[i] - oracle[m.id]) <= 1e-9


def test_the_karate_club_in_networkx_and_igraph() -> None:
    karate = nx.karate_club_graph()
    projection = network(
        [(str(node), None) for node in karate.nodes],
        {f"e{u}-{v}": [str(u), str(v)] for u, v in karate.edges},
    )
    shares, _ = member_betweenness(projection, sample_sources=None, seed=0)
    oracle = networkx_betweenness(projection)
    assert all(abs(shares[m] - oracle[m]) <= 1e-9 for m in oracle)


def test_a_sampled_estimate_says_how_and_with_what_error() -> None:
    projection = random_network(seed=11, members=400, circles=20, circle_size=12)
    arrays = ConnectorArrays.from_projection(projection)
    one = member_betweenness_arrays(arrays, sample_sources=64, seed=1, workers=2)
    assert (one.estimator, one.sources) == ("sampled", 64)
    assert one.error_bound > 0
    # The same draws in one process or two: the same estimate.
    assert member_betweenness_arrays(arrays, sample_sources=64, seed=1).values == one.values


def test_the_columns_are_the_parts() -> None:
    projection = random_network(seed=2, members=120, circles=8, circle_size=9)
    at = 100 * DAY_MS
    want, _ = connector_parts(projection, at, sample_sources=None, seed=0)
    arrays = ConnectorArrays.from_projection(projection)
    betweenness = member_betweenness_arrays(arrays, sample_sources=None, seed=0).values
    columns = connector_columns(arrays, DEFAULT_LADDER, at, betweenness)
    assert {m.id: columns.parts(i) for i, m in enumerate(projection.members)} == want
    assert all(
        ConnectorParts.model_validate_json(columns.parts_json(i)) == columns.parts(i)
        for i in range(arrays.members)
    )
    scores = {s.member_id: s.score for s in connector_scores(want)}
    column = score_column(columns)
    assert all(column[i] == scores[m.id] for i, m in enumerate(projection.members))


def test_arrays_refuse_what_a_projection_refuses() -> None:
    def arrays(inviter: list[int], ids: list[str] | None = None) -> ConnectorArrays:
        return ConnectorArrays(
            ids=ids or [f"m{i}" for i in range(len(inviter))],
            inviter=array("q", inviter),
            joined_at=array("q", [0] * len(inviter)),
            paid=array("q", [0] * len(inviter)),
        )

    arrays([-1, 0, 1]).check()
    for bad in (
        arrays([1, 0]),
        arrays([0]),
        arrays([-1, 5]),
        arrays([-2]),
        arrays([-1, -1], ["a", "a"]),
    ):
        with pytest.raises(ValueError):
            bad.check()


def test_a_circle_joining_two_trees_credits_the_members_next_to_it() -> None:
    # a - a1 - (circle x) - b1 - b; pairs of others: 3 for each member. a1 lies on {a, b1} and
    # {a, b}, not on {b1, b}: 2/3; b1 likewise. A circle named like a member stays apart.
    projection = network([("a", None), ("a1", "a"), ("b", None), ("b1", "b")], {"a1": ["a1", "b1"]})
    shares, approximate = member_betweenness(projection, sample_sources=None, seed=0)
    assert shares == pytest.approx({"a": 0.0, "a1": 2 / 3, "b": 0.0, "b1": 2 / 3})
    assert not approximate


def test_a_star_centre_is_on_every_pair() -> None:
    projection = network([("r", None)] + [(f"l{i}", "r") for i in range(4)])
    shares, _ = member_betweenness(projection, sample_sources=None, seed=0)
    assert shares == {"r": 1.0, "l0": 0.0, "l1": 0.0, "l2": 0.0, "l3": 0.0}


def test_tied_shortest_paths_share_the_pair() -> None:
    # a invites b and c; circles x = {b, d}, y = {c, d}. The pair {a, d} has two shortest
    # paths (a-b-x-d, a-c-y-d): b and c get 1/2 each of it. {b, c} goes through a (length 2
    # against 4 through d). Three pairs of others each: a 1/3, b and c (1/2)/3, d 0.
    projection = network(
        [("a", None), ("b", "a"), ("c", "a"), ("d", None)], {"x": ["b", "d"], "y": ["c", "d"]}
    )
    shares, _ = member_betweenness(projection, sample_sources=None, seed=0)
    assert shares == pytest.approx({"a": 1 / 3, "b": 1 / 6, "c": 1 / 6, "d": 0.0})


def test_fewer_than_three_members_have_no_pairs_of_others() -> None:
    shares, approximate = member_betweenness(
        network([("a", None), ("b", "a")]), sample_sources=None, seed=0
    )
    assert (shares, approximate) == ({"a": 0.0, "b": 0.0}, False)


def test_sampling_needs_two_sources() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        member_betweenness(network([("a", None)]), sample_sources=1, seed=0)


@pytest.mark.parametrize("k", [30, 31, 1000])
def test_sampling_all_members_is_exact(k: int) -> None:
    projection = random_network(seed=3, members=30, circles=4, circle_size=5)
    exact, _ = member_betweenness(projection, sample_sources=None, seed=0)
    sampled, approximate = member_betweenness(projection, sample_sources=k, seed=9)
    assert not approximate
    assert sampled == exact


@pytest.mark.parametrize("seed", range(6))
def test_a_forest_is_exact_whatever_the_sample(seed: int) -> None:
    # A forest peels away whole: every member's pairs are counted from the pieces she cuts
    # and no search is left to sample, so a sampled request gets the exact answer.
    projection = network([("r", None)] + [(f"l{i}", "r") for i in range(4)])
    shares, approximate = member_betweenness(projection, sample_sources=2, seed=seed)
    assert not approximate
    assert shares == pytest.approx({"r": 1.0, "l0": 0.0, "l1": 0.0, "l2": 0.0, "l3": 0.0})


@pytest.mark.parametrize("seed", range(3))
def test_a_sampled_estimate_is_close_and_reproducible(seed: int) -> None:
    # Tolerances from 20 draws of k = 200 on this network (exact maximum 0.096): the worst
    # member was off by at most 0.017, the mean error at most 0.0014.
    projection = random_network(seed=11, members=400, circles=20, circle_size=12)
    exact, _ = member_betweenness(projection, sample_sources=None, seed=0)
    sampled, approximate = member_betweenness(projection, sample_sources=200, seed=seed)
    assert approximate
    assert sampled == member_betweenness(projection, sample_sources=200, seed=seed)[0]
    errors = [abs(sampled[m] - exact[m]) for m in exact]
    assert max(errors) < 0.025
    assert sum(errors) / len(errors) < 0.002
    top = sorted(exact, key=exact.__getitem__, reverse=True)[:5]
    sampled_top = sorted(sampled, key=sampled.__getitem__, reverse=True)[:10]
    assert set(top) <= set(sampled_top)


# --- growth and reach ----------------------------------------------------------------------

GROWTH_TREE = network(
    [("r", None), ("a", "r"), ("b", "a"), ("c", "b"), ("d", "r"), ("e", "a")],
    joined={
        "r": 0,
        "a": 10 * DAY_MS,
        "b": 60 * DAY_MS,  # exactly 30 days before: outside the 30-day window
        "c": 85 * DAY_MS,
        "d": 90 * DAY_MS,  # exactly at computed_at: inside
        "e": 91 * DAY_MS,  # after computed_at: outside
    },
)


def test_growth_counts_joiners_anywhere_below_in_the_window() -> None:
    at = 90 * DAY_MS
    # 30 days, (60d, 90d]: c (under b, a, r) and d (under r).
    assert growth_counts(GROWTH_TREE, at, 30) == {"r": 2, "a": 1, "b": 1, "c": 0, "d": 0, "e": 0}
    # 90 days, (0, 90d]: a, b, c, d; r joined at 0 and is nobody's downline anyway.
    assert growth_counts(GROWTH_TREE, at, 90) == {"r": 4, "a": 2, "b": 1, "c": 0, "d": 0, "e": 0}


def test_growth_needs_a_window() -> None:
    with pytest.raises(ValueError, match="positive"):
        growth_counts(GROWTH_TREE, 0, 0)


def test_circles_reached_through_the_downline_not_her_own() -> None:
    # r -> a -> b, r -> c, a -> d. x = {b, c}: reached by a, r. y = {a, d}: by r only (a is
    # in y herself). z = {r}: by nobody. w = {b}: by a, r.
    projection = network(
        [("r", None), ("a", "r"), ("b", "a"), ("c", "r"), ("d", "a")],
        {"x": ["b", "c"], "y": ["a", "d"], "z": ["r"], "w": ["b", "b"]},
    )
    assert circles_reached(projection) == {"r": 3, "a": 2, "b": 0, "c": 0, "d": 0}


def _downline(projection: ConnectorProjection, member_id: str) -> set[str]:
    children: dict[str, list[str]] = {}
    for m in projection.members:
        if m.inviter_id is not None:
            children.setdefault(m.inviter_id, []).append(m.id)
    found: set[str] = set()
    todo = list(children.get(member_id, []))
    while todo:
        node = todo.pop()
        found.add(node)
        todo.extend(children.get(node, []))
    return found


@pytest.mark.parametrize("seed", range(4))
def test_growth_and_reach_agree_with_their_definitions(seed: int) -> None:
    projection = random_network(seed=seed, members=150, circles=10, circle_size=8)
    at = 100 * DAY_MS
    recent, reached = growth_counts(projection, at, 30), circles_reached(projection)
    joined = {m.id: m.joined_at for m in projection.members}
    circles = projection.circles_of_members()
    for m in projection.members:
        below = _downline(projection, m.id)
        assert recent[m.id] == sum(1 for d in below if at - 30 * DAY_MS < joined[d] <= at)
        own = {c for c, members in circles.items() if m.id in members}
        assert reached[m.id] == len({c for c, ms in circles.items() if ms & below} - own)


# --- rising --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paid", "threshold", "g30", "g90", "expected"),
    [
        (4, 5, 3, 3, 0.8),  # 4/5 close, all growth recent: 3 / max(1, 1) -> capped 2 -> 1
        (10, 20, 10, 30, 0.25),  # halfway, steady growth: 10 / 10 = 1 -> 0.5
        (4, 5, 1, 1, 0.4),  # one recent joiner: 1 / max(1/3, 1) = 1 -> 0.5, not a surge
        (0, 5, 3, 3, 0.0),  # nothing paid yet: not close
        (4, 5, 0, 0, 0.0),  # no growth: not accelerating
        (4, 5, 0, 9, 0.0),  # growth stopped a month ago
        (60, None, 9, 9, 0.0),  # top tier: nothing to rise to
    ],
)
def test_rising(paid: int, threshold: int | None, g30: int, g90: int, expected: float) -> None:
    assert rising(paid, threshold, g30, g90) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("paid", "threshold", "g30", "g90"),
    [(5, 5, 0, 0), (6, 5, 0, 0), (1, 5, 2, 1), (-1, 5, 0, 0), (1, 5, -1, 0)],
)
def test_rising_refuses_inconsistent_inputs(paid: int, threshold: int, g30: int, g90: int) -> None:
    with pytest.raises(ValueError):
        rising(paid, threshold, g30, g90)


@given(
    st.integers(min_value=0, max_value=1000),
    st.integers(min_value=1, max_value=1000),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=10_000),
)
def test_rising_is_a_share(paid: int, above: int, g30: int, extra: int) -> None:
    assert 0.0 <= rising(paid, paid + above, g30, g30 + extra) <= 1.0


# --- the score -----------------------------------------------------------------------------


def parts(pdi: int, g30: int, g90: int, circles: int, btw: float, rise: float) -> ConnectorParts:
    return ConnectorParts(
        paid_direct_invites=pdi,
        growth_30d=g30,
        growth_90d=g90,
        circles_reached=circles,
        betweenness=btw,
        rising=rise,
    )


def test_the_default_weights_cover_every_part_and_sum_to_one() -> None:
    assert set(WEIGHTS) == set(PART_NAMES)
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)


def test_scores_weigh_parts_divided_by_their_maximum() -> None:
    given_parts = {
        "b": parts(5, 0, 4, 0, 0.25, 0.0),
        "z": parts(0, 0, 0, 0, 0.0, 0.0),
        "a": parts(10, 2, 4, 3, 0.5, 0.2),
        "y": parts(0, 0, 0, 0, 0.0, 0.0),
    }
    scores = connector_scores(given_parts)
    # a holds every maximum: 1. b: 0.2 * 5/10 + 0.1 * 4/4 + 0.25 * 0.25/0.5 = 0.325.
    assert [(s.member_id, s.score) for s in scores] == [
        ("a", pytest.approx(1.0)),
        ("b", pytest.approx(0.325)),
        ("y", 0.0),
        ("z", 0.0),
    ]
    assert {s.member_id: s.parts for s in scores} == given_parts


def test_custom_weights_and_empty_parts() -> None:
    only_betweenness = dict.fromkeys(PART_NAMES, 0.0) | {"betweenness": 1.0}
    scores = connector_scores(
        {"a": parts(1, 0, 0, 0, 0.5, 0.0), "b": parts(9, 0, 0, 0, 0.25, 0.0)},
        only_betweenness,
    )
    assert [(s.member_id, s.score) for s in scores] == [("a", 1.0), ("b", 0.5)]
    assert connector_scores({}) == []
    assert connector_scores({"a": parts(0, 0, 0, 0, 0.0, 0.0)})[0].score == 0.0


@pytest.mark.parametrize(
    "weights",
    [
        {"betweenness": 1.0},
        dict.fromkeys(PART_NAMES, 0.5),
        dict.fromkeys(PART_NAMES, 0.0) | {"betweenness": 1.5, "rising": -0.5},
    ],
)
def test_weights_must_name_every_part_and_sum_to_one(weights: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="weights"):
        connector_scores({}, weights)  # type: ignore[arg-type]


def test_connector_parts_put_it_together() -> None:
    # r invited four members this month and has 4 paid invites (next: butterfly at 5); p is
    # a phoenix alone. l0 is in circle x, l1 in y.
    projection = network(
        [("r", None), ("p", None)] + [(f"l{i}", "r") for i in range(4)],
        {"x": ["l0"], "y": ["l1"]},
        joined={"r": 0, "p": 0} | {f"l{i}": 80 * DAY_MS for i in range(4)},
        paid={"r": 4, "p": 60},
    )
    got, approximate = connector_parts(projection, 90 * DAY_MS, sample_sources=None, seed=0)
    assert not approximate
    # Betweenness: r is on the 6 leaf pairs out of the 5 * 4 / 2 = 10 pairs of others.
    # Rising: 4/5 close x min(4 / max(4/3, 1), 2) / 2 = 1.
    assert got["r"] == parts(4, 4, 4, 2, 0.6, 0.8)
    assert got["p"] == parts(60, 0, 0, 0, 0.0, 0.0)
    assert connector_scores(got)[0].member_id == "r"
