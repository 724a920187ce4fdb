"""The tree view on both backends: nesting, order, paging, the node budget, bad input."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from app.core.errors import InvalidInput, NotFound
from app.domain.members import NewMemberRow, PaidRow
from app.domain.tiers import DEFAULT_LADDER
from app.domain.tree import TreeNode
from app.services.cursors import encode_position
from app.services.tree import member_tree
from app.store.cypher_store import CypherStore

JOINED = 1_000


def invite(store: CypherStore, inviter: str | None, *members: str) -> None:
    rows = [
        NewMemberRow(
            id=member, inviter_id=inviter, name=member.upper(), joined_at=JOINED,
            attributes_json=None,
        )
        for member in members
    ]  # fmt: skip
    assert store.register_members(rows, DEFAULT_LADDER) == list(members)


@pytest.fixture
def family(store: CypherStore) -> CypherStore:
    """root invited a, b, c, d, e; a: a1 (who invited a1x), a2; b: b1; e: e1.
    Downline totals: root 10, a 3, b 1, e 1, a1 1, the rest 0."""
    invite(store, None, "root")
    invite(store, "root", "d", "c", "e", "b", "a")
    invite(store, "a", "a2", "a1")
    invite(store, "b", "b1")
    invite(store, "e", "e1")
    invite(store, "a1", "a1x")
    assert store.mark_paid([PaidRow(id="a", paid_at=JOINED + 1)], DEFAULT_LADDER) == ["a"]
    return store


def shape(node: TreeNode) -> object:
    """(id, children) all the way down, plus the cursor where there is one."""
    children = [shape(child) for child in node.children]
    return (node.id, children, "cursor") if node.next_cursor else (node.id, children)


def tree(store: CypherStore, member_id: str = "root", **bounds: object) -> TreeNode:
    params: dict[str, object] = {"depth": 2, "children_limit": 50, **bounds}
    return member_tree(store=store, member_id=member_id, **params)  # type: ignore[arg-type]


def test_nests_levels_in_downline_then_id_order(family: CypherStore) -> None:
    view = tree(family, depth=3)
    assert shape(view) == ("root", [
        ("a", [("a1", [("a1x", [])]), ("a2", [])]),
        ("b", [("b1", [])]),
        ("e", [("e1", [])]),
        ("c", []),
        ("d", []),
    ])  # fmt: skip
    assert view.next_cursor is None
    assert {k: v for k, v in asdict(view).items() if k not in ("children", "next_cursor")} == {
        "id": "root", "name": "ROOT", "tier": "bee", "paid": False,
        "direct_total": 5, "downline_total": 10,
    }  # fmt: skip
    a = view.children[0]
    assert (a.paid, a.direct_total, a.downline_total, a.name) == (True, 2, 3, "A")
    assert [child.paid for child in view.children[1:]] == [False] * 4


def test_depth_stops_the_walk_without_a_cursor(family: CypherStore) -> None:
    assert shape(tree(family, depth=1)) == ("root", [(i, []) for i in "abecd"])
    assert shape(tree(family, "a", depth=1)) == ("a", [("a1", []), ("a2", [])])
    assert shape(tree(family, "a1x", depth=5)) == ("a1x", [])


def page_through(store: CypherStore, member_id: str, limit: int) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        view = tree(store, member_id, depth=1, children_limit=limit, cursor=cursor)
        assert len(view.children) <= limit
        seen += [child.id for child in view.children]
        cursor = view.next_cursor
        if cursor is None:
            return seen
    raise AssertionError("paging never ended")


def test_paging_a_wide_level_sees_every_child_once_in_order(store: CypherStore) -> None:
    invite(store, None, "hub")
    wide = [f"w{n:02}" for n in range(23)]
    invite(store, "hub", *wide)
    # Ties on downline_total at 0, 1 and 2 so pages cut inside runs of equal totals.
    invite(store, "w03", "w03a", "w03b")
    invite(store, "w17", "w17a", "w17b")
    invite(store, "w10", "w10a")
    invite(store, "w15", "w15a")
    expected = ["w03", "w17", "w10", "w15"] + [w for w in wide if w not in "w03 w17 w10 w15"]
    for limit in (1, 2, 5, 22, 23, 50):
        assert page_through(store, "hub", limit) == expected, limit
    # An exact fit ends without a cursor; one more page would be empty.
    assert tree(store, "hub", depth=1, children_limit=23).next_cursor is None


def test_the_node_budget_cuts_parents_in_order_and_their_cursors_page_on(
    family: CypherStore,
) -> None:
    # root + her 5 children + a's 2 = 8: b and e (with children) are cut to none, c and d
    # (without) are not cut at all, and a1 is past the depth.
    view = tree(family, budget=8)
    assert shape(view) == ("root", [
        ("a", [("a1", []), ("a2", [])]),
        ("b", [], "cursor"),
        ("e", [], "cursor"),
        ("c", []),
        ("d", []),
    ])  # fmt: skip
    b, e = view.children[1:3]
    assert shape(tree(family, "b", depth=1, cursor=b.next_cursor)) == ("b", [("b1", [])])
    assert shape(tree(family, "e", depth=1, cursor=e.next_cursor)) == ("e", [("e1", [])])
    # A budget inside the member's own children cuts her list there, and leaves none for
    # theirs.
    cut = tree(family, budget=4)
    assert shape(cut) == (
        "root",
        [("a", [], "cursor"), ("b", [], "cursor"), ("e", [], "cursor")],
        "cursor",
    )
    rest = tree(family, depth=1, cursor=cut.next_cursor)
    assert shape(rest) == ("root", [("c", []), ("d", [])])


def test_budget_and_limit_bound_every_response(store: CypherStore) -> None:
    invite(store, None, "top")
    invite(store, "top", *[f"k{n}" for n in range(6)])
    for n in range(6):
        invite(store, f"k{n}", *[f"k{n}g{m}" for m in range(6)])
    view = tree(store, "top", depth=5, children_limit=4, budget=12)
    nodes = [view, *view.children, *[g for child in view.children for g in child.children]]
    assert len(nodes) == 12
    assert [len(child.children) for child in view.children] == [4, 3, 0, 0]
    assert view.next_cursor and all(child.next_cursor for child in view.children)


def test_unknown_member_and_bad_cursors(family: CypherStore) -> None:
    with pytest.raises(NotFound, match="member ghost does not exist"):
        tree(family, "ghost")
    for cursor in ("nonsense!", "WzEsMl0", encode_position(-1, "a"), encode_position(2**63, "")):
        with pytest.raises(InvalidInput, match="cursor"):
            tree(family, depth=1, cursor=cursor)
