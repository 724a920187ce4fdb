"""GET /v1/members/{id}/tree on both backends: the JSON shape, paging, bounds and roles, and
the served tree at its depth, page and node bounds against one recomputed from the forest."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.domain.members import NewMemberRow
from app.domain.tiers import DEFAULT_LADDER
from app.store.cypher_store import CypherStore
from tests.api.routes.test_members import assert_problem, register
from tests.conftest import ROLE_KEYS, auth

GROWTH = auth("growth")


@pytest.fixture
def family(client: TestClient) -> TestClient:
    """root invited a, b, c; a invited a1 and a2; a1 invited a1x. c is paid."""
    for member, inviter in [("root", None), ("c", "root"), ("b", "root"), ("a", "root"),
                            ("a2", "a"), ("a1", "a"), ("a1x", "a1")]:  # fmt: skip
        assert register(client, member, inviter, name=member.upper()).status_code == 201
    assert client.post("/v1/members/c/paid", json={}, headers=auth("admin")).status_code == 200
    return client


def node(member_id: str, direct: int, downline: int, *children: Any, paid: bool = False) -> Any:
    return {
        "id": member_id, "name": member_id.upper(), "tier": "bee", "paid": paid,
        "direct_total": direct, "downline_total": downline, "children": list(children),
    }  # fmt: skip


def test_tree_nests_children_by_downline_then_id(family: TestClient) -> None:
    response = family.get("/v1/members/root/tree?depth=3", headers=GROWTH)
    assert response.status_code == 200, response.text
    assert response.json() == node(
        "root", 3, 6,
        node("a", 2, 3, node("a1", 1, 1, node("a1x", 0, 0)), node("a2", 0, 0)),
        node("b", 0, 0),
        node("c", 0, 0, paid=True),
    )  # fmt: skip
    # The default depth is 2: a1x is not listed, and a1 has no cursor (she was not cut).
    default = family.get("/v1/members/root/tree", headers=GROWTH).json()
    assert default["children"][0]["children"][0] == node("a1", 1, 1)


def test_paging_a_wide_level_with_the_cursor_until_exhausted(client: TestClient) -> None:
    register(client, "hub")
    wide = [f"w{n:02}" for n in range(12)]
    for member in wide:
        register(client, member, "hub")
    for kid, parent in [("w07k", "w07"), ("w09k", "w09"), ("w09k2", "w09")]:
        register(client, kid, parent)
    expected = ["w09", "w07"] + [w for w in wide if w not in ("w07", "w09")]
    first = client.get("/v1/members/hub/tree?depth=2&children_limit=5", headers=GROWTH).json()
    assert [child["id"] for child in first["children"]] == expected[:5]
    assert [kid["id"] for kid in first["children"][0]["children"]] == ["w09k", "w09k2"]
    seen = [child["id"] for child in first["children"]]
    cursor = first["next_cursor"]
    while cursor is not None:
        page = client.get(
            "/v1/members/hub/tree",
            params={"depth": 1, "children_limit": 5, "cursor": cursor},
            headers=GROWTH,
        ).json()
        assert 0 < len(page["children"]) <= 5
        seen += [child["id"] for child in page["children"]]
        cursor = page.get("next_cursor")
    assert seen == expected


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("depth=0", "depth"), ("depth=6", "depth"), ("children_limit=0", "children_limit"),
     ("children_limit=501", "children_limit"), ("depth=two", "depth")],
)  # fmt: skip
def test_bounds_are_422_naming_the_parameter(
    family: TestClient, query: str, parameter: str
) -> None:
    response = family.get(f"/v1/members/root/tree?{query}", headers=GROWTH)
    assert_problem(response, 422, f"query.{parameter}")


def test_the_bounds_themselves_are_accepted(family: TestClient) -> None:
    for query in ("depth=1", "depth=5", "children_limit=1", "children_limit=500"):
        assert family.get(f"/v1/members/root/tree?{query}", headers=GROWTH).status_code == 200


def test_bad_cursor_is_422_and_unknown_member_404(family: TestClient) -> None:
    for cursor in ("garbage!", "WyJhIiwxXQ", "WzEsMl0", "Wy0xLCJhIl0"):
        response = family.get(f"/v1/members/root/tree?depth=1&cursor={cursor}", headers=GROWTH)
        assert_problem(response, 422, "cursor")
        assert response.json()["field"] == "cursor"
    assert_problem(
        family.get("/v1/members/ghost/tree", headers=GROWTH), 404, "member ghost does not exist"
    )


def test_roles_that_read_the_network_may_read_trees(family: TestClient) -> None:
    for role in sorted(ROLE_KEYS):
        response = family.get("/v1/members/root/tree", headers=auth(role))
        expected = 403 if role == "storefront" else 200
        assert response.status_code == expected, (role, response.text)
    assert_problem(family.get("/v1/members/root/tree"), 401, "Authorization")


# --- the served tree against the forest, at the bounds ----------------------------------------

TREE = "/v1/members/{}/tree"


class Forest:
    """Who invited whom, registered through the store level by level, and the tree view the
    README describes recomputed from it alone."""

    def __init__(self, inviter: dict[str, str | None]) -> None:
        self.inviter = inviter
        self.kids: dict[str, list[str]] = {member: [] for member in inviter}
        for member, parent in inviter.items():
            if parent is not None:
                self.kids[parent].append(member)
        self.size = {member: self._downline(member) for member in inviter}

    def _downline(self, member: str) -> int:
        return sum(1 + self._downline(kid) for kid in self.kids[member])

    def store_in(self, store: CypherStore) -> None:
        level = [m for m, parent in self.inviter.items() if parent is None]
        while level:
            rows = [NewMemberRow(id=m, inviter_id=self.inviter[m], name=None, joined_at=1_000,
                                 attributes_json=None) for m in level]  # fmt: skip
            assert store.register_members(rows, DEFAULT_LADDER) == level
            level = [kid for m in level for kid in self.kids[m]]

    def depth(self, member: str) -> int:
        parent = self.inviter[member]
        return 0 if parent is None else 1 + self.depth(parent)

    def children(self, member: str) -> list[str]:
        """Largest downline first, then by id."""
        return sorted(self.kids[member], key=lambda kid: (-self.size[kid], kid))

    def view(self, member: str, depth: int, limit: int, budget: int = 2000) -> Any:
        """(id, direct, downline, children, cut) of the answer: levels filled parent by parent,
        each parent's children cut to `limit`, and no more than `budget` nodes in all."""
        root: list[Any] = [member, [], False]
        count, level = 1, [root]
        for _ in range(depth):
            below = []
            for node in level:
                kids = self.children(node[0])
                if not kids:
                    continue
                take = min(limit, budget - count)
                node[1] = [[kid, [], False] for kid in kids[:take]]
                node[2] = len(kids) > take
                count += len(node[1])
                below += node[1]
            level = below
        return self._shaped(root)

    def _shaped(self, node: list[Any]) -> Any:
        member, children, cut = node
        shown = [self._shaped(child) for child in children]
        return (member, len(self.kids[member]), self.size[member], shown, cut)


def served_shape(node: dict[str, Any]) -> Any:
    shown = [served_shape(child) for child in node["children"]]
    return (node["id"], node["direct_total"], node["downline_total"], shown, "next_cursor" in node)


def nodes_in(node: dict[str, Any]) -> int:
    return 1 + sum(nodes_in(child) for child in node["children"])


def served_tree(client: TestClient, member: str, **params: object) -> dict[str, Any]:
    response = client.get(TREE.format(member), params=params, headers=GROWTH)
    assert response.status_code == 200, response.text
    tree: dict[str, Any] = response.json()
    return tree


def paged_children(client: TestClient, member: str, cursor: str | None, limit: int) -> list[str]:
    """Her children from `cursor` on, page by page with depth=1 until no cursor is left."""
    seen: list[str] = []
    while cursor is not None:
        page = served_tree(client, member, depth=1, children_limit=limit, cursor=cursor)
        assert 0 < len(page["children"]) <= limit
        assert all(child["children"] == [] for child in page["children"])
        seen += [child["id"] for child in page["children"]]
        cursor = page.get("next_cursor")
    return seen


# root → l1 → … → l6, one level deeper than depth allows, with side branches on the way.
DEEP = Forest({"root": None, "l1": "root", "r1": "root", "r2": "root", "l2": "l1",
               "l3": "l2", "l2b": "l2", "l4": "l3", "l5": "l4", "l4b": "l4", "l4c": "l4",
               "l6": "l5"})  # fmt: skip
# 60 children of varied sizes (some tied, ordered by id), 2,221 members in all: the budget
# runs out part way through one child's children.
WIDE = Forest({"root": None} | {f"c{k:02}": "root" for k in range(60)} | {
    f"c{k:02}g{j:02}": f"c{k:02}" for k in range(60) for j in range(12 + 7 * k % 50)})  # fmt: skip
# A hub with one child more than children_limit allows, a few of them with children.
HUB = Forest({"hub": None} | {f"h{n:03}": "hub" for n in range(501)} | {
    f"h{n:03}k": f"h{n:03}" for n in range(0, 501, 50)})  # fmt: skip


@pytest.mark.parametrize("depth", [1, 2, 5])
def test_depth_lists_exactly_that_many_levels(
    client: TestClient, store: CypherStore, depth: int
) -> None:
    DEEP.store_in(store)
    served = served_tree(client, "root", depth=depth)
    assert served_shape(served) == DEEP.view("root", depth, limit=50)
    # The deepest listed level has no children listed and no cursor, whatever lies below.
    assert nodes_in(served) == sum(1 for m in DEEP.inviter if DEEP.depth(m) <= depth)


def test_children_limit_500_cuts_the_501st_and_its_cursor_pages_on(
    client: TestClient, store: CypherStore
) -> None:
    HUB.store_in(store)
    served = served_tree(client, "hub", depth=2, children_limit=500)
    assert served_shape(served) == HUB.view("hub", 2, limit=500)
    shown = [child["id"] for child in served["children"]]
    assert len(shown) == 500
    rest = paged_children(client, "hub", served["next_cursor"], limit=500)
    assert shown + rest == HUB.children("hub")


def test_children_limit_1_pages_every_child_exactly_once(
    client: TestClient, store: CypherStore
) -> None:
    DEEP.store_in(store)
    served = served_tree(client, "root", depth=5, children_limit=1)
    assert served_shape(served) == DEEP.view("root", 5, limit=1)
    # Every parent along the way was cut to her first child; her cursor gives the others.
    node = served
    while node["children"]:
        [first] = node["children"]
        rest = paged_children(client, node["id"], node.get("next_cursor"), limit=1)
        assert [first["id"], *rest] == DEEP.children(node["id"])
        node = first


@pytest.mark.parametrize("depth", [2, 5])
def test_a_response_stops_at_2000_nodes_and_cut_parents_page_on(
    client: TestClient, store: CypherStore, depth: int
) -> None:
    assert len(WIDE.inviter) > 2000
    WIDE.store_in(store)
    served = served_tree(client, "root", depth=depth, children_limit=500)
    assert served_shape(served) == WIDE.view("root", depth, limit=500)
    assert nodes_in(served) == 2000
    cut = [child for child in served["children"] if "next_cursor" in child]
    assert 0 < len(cut[0]["children"]) < cut[0]["direct_total"] and cut[-1]["children"] == []
    for child in cut:
        shown = [grandchild["id"] for grandchild in child["children"]]
        rest = paged_children(client, child["id"], child["next_cursor"], limit=500)
        assert shown + rest == WIDE.children(child["id"])
