"""How two members are connected: the shortest path between them through invitations (either
way) and shared circles, found by a breadth-first search from both ends at once, bounded in
length and in how much of the network it may read. The neighbours come from a callback, so
the search is pure and the store stays at the edge."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal

from pydantic import BaseModel, Field

NodeKind = Literal["member", "circle"]
Node = tuple[NodeKind, str]
# A path counts its steps: a member to her inviter is 1, two members of one circle are 2.
DEFAULT_MAX_LENGTH = 6
MAX_LENGTH = 10
# Nodes a search may reach from each end before it gives up (hubs and big circles make
# frontiers grow fast; the answer then says the budget ran out, not that there is no path).
DEFAULT_BUDGET = 20_000

Neighbours = Callable[[list[Node]], dict[Node, list[Node]]]


class PathNode(BaseModel):
    kind: NodeKind
    id: str
    name: str | None = None


class MemberPath(BaseModel):
    from_: str = Field(serialization_alias="from")
    to: str
    length: int = Field(description="Steps: member to inviter 1, member to circle 1")
    nodes: list[PathNode] = Field(description="From `from` to `to`, circles between members")


class SearchOutcome(BaseModel):
    path: list[Node] | None
    exhausted: bool = Field(description="The node budget ran out before the bound")


def shortest_path(
    start: Node, goal: Node, neighbours: Neighbours, *, max_length: int, budget: int
) -> SearchOutcome:
    """A shortest path from `start` to `goal` of at most `max_length` steps (the same one for
    the same network: neighbours are taken in sort order); None when there is none within
    the bound, or when the budget ran out first (`exhausted`). Each round grows the smaller
    frontier by one step; the first round that meets the other side's reach holds only
    shortest paths."""
    if start == goal:
        return SearchOutcome(path=[start], exhausted=False)
    parents: tuple[dict[Node, Node | None], dict[Node, Node | None]] = ({start: None}, {goal: None})
    frontiers: tuple[list[Node], list[Node]] = ([start], [goal])
    depths = [0, 0]
    while frontiers[0] and frontiers[1] and depths[0] + depths[1] < max_length:
        side = 0 if len(frontiers[0]) <= len(frontiers[1]) else 1
        expanded = neighbours(sorted(frontiers[side]))
        found: list[Node] = []
        following: list[Node] = []
        for node in sorted(frontiers[side]):
            for other in sorted(set(expanded.get(node, []))):
                if other in parents[side]:
                    continue
                parents[side][other] = node
                following.append(other)
                if other in parents[1 - side]:
                    found.append(other)
        depths[side] += 1
        if found:
            meeting = min(found)
            return SearchOutcome(path=_joined(meeting, parents), exhausted=False)
        if len(parents[side]) > budget:
            return SearchOutcome(path=None, exhausted=True)
        frontiers = (following, frontiers[1]) if side == 0 else (frontiers[0], following)
    return SearchOutcome(path=None, exhausted=False)


def _joined(
    meeting: Node, parents: tuple[dict[Node, Node | None], dict[Node, Node | None]]
) -> list[Node]:
    head = _walk(meeting, parents[0])
    tail = _walk(meeting, parents[1])
    return list(reversed(head)) + tail[1:]


def _walk(node: Node, parents: dict[Node, Node | None]) -> list[Node]:
    path: list[Node] = [node]
    parent = parents[node]
    while parent is not None:
        path.append(parent)
        parent = parents[parent]
    return path


def members_of(path: Iterable[Node]) -> list[str]:
    return [node_id for kind, node_id in path if kind == "member"]
