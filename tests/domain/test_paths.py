"""The connection search against networkx's shortest path lengths, on random networks of
members and circles."""

from __future__ import annotations

import random
from itertools import pairwise

import networkx as nx  # type: ignore[import-untyped]
import pytest

from app.domain.paths import Neighbours, Node, shortest_path


def random_network(seed: int) -> nx.Graph:
    rng = random.Random(seed)
    graph = nx.Graph()
    members: list[Node] = [("member", f"m{n}") for n in range(rng.randrange(20, 80))]
    graph.add_nodes_from(members)
    for index, member in enumerate(members[1:], start=1):
        if rng.random() < 0.7:  # some roots: not everyone is connected
            graph.add_edge(member, members[rng.randrange(index)])
    for c in range(rng.randrange(0, 5)):
        for member in rng.sample(members, rng.randrange(2, 6)):
            graph.add_edge(("circle", f"c{c}"), member)
    return graph


def neighbours_of(graph: nx.Graph) -> tuple[list[int], Neighbours]:
    calls: list[int] = []

    def neighbours(nodes: list[Node]) -> dict[Node, list[Node]]:
        calls.append(len(nodes))
        return {node: list(graph.neighbors(node)) for node in nodes}

    return calls, neighbours


@pytest.mark.parametrize("seed", range(30))
def test_lengths_equal_networkx_and_every_step_is_an_edge(seed: int) -> None:
    graph = random_network(seed)
    rng = random.Random(seed)
    members = sorted(node for node in graph if node[0] == "member")
    for _ in range(10):
        start, goal = rng.choice(members), rng.choice(members)
        _, neighbours = neighbours_of(graph)
        outcome = shortest_path(start, goal, neighbours, max_length=6, budget=10_000)
        try:
            expected = nx.shortest_path_length(graph, start, goal)
        except nx.NetworkXNoPath:
            expected = None
        if expected is None or expected > 6:
            assert outcome.path is None and not outcome.exhausted
            continue
        assert outcome.path is not None and len(outcome.path) - 1 == expected
        assert outcome.path[0] == start and outcome.path[-1] == goal
        assert all(graph.has_edge(a, b) for a, b in pairwise(outcome.path))


def test_the_budget_stops_a_search_and_says_so() -> None:
    star = nx.Graph()
    star.add_edges_from((("member", "hub"), ("member", f"s{k}")) for k in range(500))
    star.add_edge(("member", "s0"), ("member", "far"))
    star.add_node(("member", "zzz"))
    _, neighbours = neighbours_of(star)
    outcome = shortest_path(
        ("member", "s1"), ("member", "zzz"), neighbours, max_length=10, budget=100
    )
    assert outcome.path is None and outcome.exhausted
    assert shortest_path(
        ("member", "a"), ("member", "a"), neighbours, max_length=1, budget=1
    ).path == [("member", "a")]
