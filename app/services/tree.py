"""The genealogy tree view: a member and her downline, level by level, within the bounds."""

from __future__ import annotations

from app.core.errors import InvalidInput, NotFound
from app.domain.tiers import TierLadder, tier_reached
from app.domain.tree import MAX_TREE_NODES, START, TreeNode
from app.domain.units import iso_moment
from app.services.cursors import decode_position, encode_position
from app.store.port import ChildrenAsk, DescendantRow, GraphStore


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


def member_tree_at(
    *,
    store: GraphStore,
    ladder: TierLadder,
    member_id: str,
    as_of: int,
    depth: int,
    children_limit: int,
    cursor: str | None = None,
    budget: int = MAX_TREE_NODES,
) -> TreeNode:
    """Her tree as it stood at `as_of`: who had joined, who was paid and each one's tier then,
    counts and order from that moment. Built from one walk of her downline (the counters
    hold only the present), so it costs what her downline weighs."""
    after = decode_tree_position(cursor) if cursor is not None else START
    found = store.get_members([member_id])
    if not found:
        raise NotFound(f"member {member_id} does not exist", member_id=member_id)
    record = found[0]
    if record.joined_at > as_of:
        raise NotFound(
            f"member {member_id} had not joined at {iso_moment(as_of)}", member_id=member_id
        )
    rows = store.downline_members_at(member_id, as_of)
    children: dict[str, list[DescendantRow]] = {}
    for row in rows:
        children.setdefault(row.inviter_id, []).append(row)
    totals = _downline_totals(member_id, children)
    shown: list[tuple[TreeNode, str]] = []

    def node(node_id: str, name: str | None, paid: bool) -> TreeNode:
        made = TreeNode(
            id=node_id,
            name=name,
            tier=ladder.base_tier,
            paid=paid,
            direct_total=len(children.get(node_id, [])),
            downline_total=totals[node_id],
        )
        shown.append((made, node_id))
        return made

    root = node(record.id, record.name, record.paid_then(as_of))
    count = 1
    level: list[tuple[TreeNode, tuple[int, str]]] = [(root, after)]
    for _ in range(depth):
        following: list[tuple[TreeNode, tuple[int, str]]] = []
        for parent, position in level:
            ordered = sorted(children.get(parent.id, []), key=lambda row: (-totals[row.id], row.id))
            rest = [
                row for row in ordered if (-totals[row.id], row.id) > (-position[0], position[1])
            ]
            take = min(children_limit, budget - count)
            for row in rest[:take]:
                child = node(row.id, row.name, row.paid)
                parent.children.append(child)
                following.append((child, START))
            count += len(parent.children)
            if len(rest) > len(parent.children):
                last = parent.children[-1] if parent.children else None
                parent.next_cursor = encode_position(
                    *((last.downline_total, last.id) if last else position)
                )
        level = following
    histories = store.tier_histories([(member, as_of) for _, member in shown])
    for made, member in shown:
        history = histories.get((member, as_of))
        if history is not None:
            made.tier = tier_reached(history.changes, ladder)
    return root


def _downline_totals(root: str, children: dict[str, list[DescendantRow]]) -> dict[str, int]:
    """Members below each one, from who invited whom (iterative: chains run deep)."""
    order: list[str] = []
    stack = [root]
    while stack:
        member = stack.pop()
        order.append(member)
        stack.extend(row.id for row in children.get(member, []))
    totals: dict[str, int] = {}
    for member in reversed(order):
        totals[member] = sum(1 + totals[row.id] for row in children.get(member, []))
    return totals


def decode_tree_position(cursor: str) -> tuple[int, str]:
    position = decode_position(cursor)
    # Only a downline total or START was ever handed out; anything else is not a position
    # (and a huge number would not even fit the engines' integers).
    if not 0 <= position[0] <= START[0]:
        raise InvalidInput("cursor is not one this API handed out", field="cursor")
    return position
