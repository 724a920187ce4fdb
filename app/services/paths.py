"""How two members are connected: the shortest path through invitations and circles."""

from __future__ import annotations

from app.core.errors import NotFound
from app.domain.paths import MemberPath, PathNode, members_of, shortest_path
from app.domain.text import servable_text
from app.store.port import GraphStore


def connection(
    *, store: GraphStore, from_id: str, to_id: str, max_length: int, budget: int
) -> MemberPath:
    """404 for an unknown member, and when no path of at most `max_length` steps is found
    (saying whether the search ran out of budget first)."""
    known = {record.id for record in store.get_members([from_id, to_id])}
    for member_id in (from_id, to_id):
        if member_id not in known:
            raise NotFound(f"member {member_id} does not exist", member_id=member_id)
    outcome = shortest_path(
        ("member", from_id),
        ("member", to_id),
        store.path_neighbours,
        max_length=max_length,
        budget=budget,
    )
    if outcome.path is None:
        why = (
            f"the search read {budget:,} members and circles from one end without meeting "
            "the other; they may still be connected further out"
            if outcome.exhausted
            else f"they are not connected within {max_length} steps"
        )
        raise NotFound(f"no path from {from_id} to {to_id}: {why}")
    names = {r.id: r.name for r in store.get_members(members_of(outcome.path))}
    circles = {
        g.id: g.name for g in store.groups_by_id([i for k, i in outcome.path if k == "circle"])
    }
    nodes = [
        PathNode(
            kind=kind,
            id=node_id,
            name=_shown((names if kind == "member" else circles).get(node_id)),
        )
        for kind, node_id in outcome.path
    ]
    return MemberPath(from_=from_id, to=to_id, length=len(nodes) - 1, nodes=nodes)


def _shown(name: str | None) -> str | None:
    return None if name is None else servable_text(name)
