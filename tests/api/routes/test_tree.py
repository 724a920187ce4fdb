"""GET /v1/members/{id}/tree on both backends: the JSON shape, paging, bounds and roles."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

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
