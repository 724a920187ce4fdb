"""The genealogy tree view: a member and her downline, level by level, within the bounds."""

from __future__ import annotations

from app.core.errors import InvalidInput, NotFound
from app.domain.tree import MAX_TREE_NODES, START, TreeNode
from app.services.cursors import decode_position, encode_position
from app.store.port import ChildrenAsk, GraphStore


def member_tree(
    *,
    store: GraphStore,
    member_id: str,
    depth: int,
    children_limit: int,
    cursor: str | None = None,
    budget: int = MAX_TREE_NODES,
) -> TreeNode:
    """The member and `depth` levels below her, one query per level. Each parent gets at most
    `children_limit` children, and the response at most `budget` nodes: a parent whose
    children were cut by either carries a `next_cursor` for the rest. `cursor` starts the
    member's own children after that position."""
    # Validated before the member is read, so a bad cursor is a 422 whoever it names.
    after = decode_tree_position(cursor) if cursor is not None else START
    found = store.get_members([member_id])
    if not found:
        raise NotFound(f"member {member_id} does not exist", member_id=member_id)
    record = found[0]
    root = TreeNode(
        id=record.id,
        name=record.name,
        tier=record.tier,
        paid=record.paid_at is not None,
        direct_total=record.direct_total,
        downline_total=record.downline_total,
    )
    count = 1
    level: list[tuple[TreeNode, tuple[int, str]]] = [(root, after)]
    for _ in range(depth):
        asks: list[tuple[TreeNode, ChildrenAsk]] = []
        planned = count
        for node, position in level:
            if node.direct_total == 0:
                continue
            take = min(children_limit, budget - planned)
            if take == 0:
                node.next_cursor = encode_position(*position)
                continue
            asks.append((node, ChildrenAsk(node.id, position, take)))
            # Her counter says how many she has, so a narrow parent leaves the budget to the
            # next one (a paged parent may have fewer left, never more than take).
            planned += min(take, node.direct_total)
        if not asks:
            break
        fetched = store.tree_children([ask for _, ask in asks])
        level = []
        for node, ask in asks:
            children = fetched.get(node.id, [])
            # The counters planned the takes; the budget is kept on what really came back.
            node.children = children[: min(ask.take, budget - count)]
            count += len(node.children)
            if len(children) > len(node.children):
                last = node.children[-1] if node.children else None
                position = (last.downline_total, last.id) if last else ask.after
                node.next_cursor = encode_position(*position)
            level.extend((child, START) for child in node.children)
    return root


def decode_tree_position(cursor: str) -> tuple[int, str]:
    position = decode_position(cursor)
    # Only a downline total or START was ever handed out; anything else is not a position
    # (and a huge number would not even fit the engines' integers).
    if not 0 <= position[0] <= START[0]:
        raise InvalidInput("cursor is not one this API handed out", field="cursor")
    return position
