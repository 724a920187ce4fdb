"""The groups API, route by route, on both backends."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.routes.test_members import assert_problem, register
from tests.conftest import ROLE_KEYS, auth

ADMIN = auth("admin")
PARENTING = {"id": "parenting", "kind": "topic", "name": "Parenting"}


def create(client: TestClient, body: dict[str, Any] = PARENTING, role: str = "admin") -> Any:
    return client.post("/v1/groups", json=body, headers=auth(role))


def add(client: TestClient, group_id: str, member_id: str, role: str = "admin") -> Any:
    return client.put(f"/v1/groups/{group_id}/members/{member_id}", headers=auth(role))


def remove(client: TestClient, group_id: str, member_id: str, role: str = "admin") -> Any:
    return client.delete(f"/v1/groups/{group_id}/members/{member_id}", headers=auth(role))


def test_create_is_201_then_200_for_the_same_body(client: TestClient) -> None:
    first = create(client)
    assert first.status_code == 201
    assert first.json() == {**PARENTING, "members_total": 0}
    again = create(client)
    assert again.status_code == 200 and again.json() == first.json()
    assert client.get("/v1/groups/parenting", headers=ADMIN).json() == first.json()


def test_same_id_with_other_kind_or_name_is_409_naming_the_fields(client: TestClient) -> None:
    create(client)
    conflict = create(client, {"id": "parenting", "kind": "region", "name": "Hangzhou"})
    assert_problem(conflict, 409, "kind, name")
    assert conflict.json()["conflicting_fields"] == ["kind", "name"]
    assert_problem(create(client, {**PARENTING, "name": "Other"}), 409, "different name")
    assert client.get("/v1/groups/parenting", headers=ADMIN).json()["name"] == "Parenting"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({**PARENTING, "id": "a b"}, "body.id"),
        ({**PARENTING, "id": "a/b"}, "body.id"),
        ({**PARENTING, "id": ""}, "body.id"),
        ({**PARENTING, "kind": "club"}, "body.kind"),
        ({**PARENTING, "name": ""}, "body.name"),
        ({**PARENTING, "name": "a\x00b"}, "body.name"),
        ({**PARENTING, "name": "x" * 201}, "body.name"),
        ({"id": "g", "kind": "topic"}, "body.name"),
        ({**PARENTING, "colour": "red"}, "colour"),
    ],
)
def test_invalid_groups_are_422_and_create_nothing(
    client: TestClient, body: dict[str, Any], where: str
) -> None:
    assert_problem(create(client, body), 422, where)
    assert client.get("/v1/groups/parenting", headers=ADMIN).status_code == 404


def test_add_is_201_then_200_and_counts_once(client: TestClient) -> None:
    register(client, "ann")
    create(client)
    added = add(client, "parenting", "ann")
    assert added.status_code == 201 and added.json()["members_total"] == 1
    again = add(client, "parenting", "ann")
    assert again.status_code == 200 and again.json()["members_total"] == 1
    groups = client.get("/v1/groups", params={"member_id": "ann"}, headers=ADMIN)
    assert groups.json() == {"member_id": "ann", "items": [{**PARENTING, "members_total": 1}]}


def test_add_to_an_unknown_group_or_member_is_404(client: TestClient) -> None:
    register(client, "ann")
    create(client)
    assert_problem(add(client, "nowhere", "ann"), 404, "group nowhere does not exist")
    assert_problem(add(client, "parenting", "nobody"), 404, "member nobody does not exist")
    assert_problem(add(client, "parenting", "a%01"), 422, "member_id")
    assert client.get("/v1/groups/parenting", headers=ADMIN).json()["members_total"] == 0


def test_remove_is_204_and_idempotent(client: TestClient) -> None:
    register(client, "ann")
    register(client, "bea")
    create(client)
    add(client, "parenting", "ann")
    add(client, "parenting", "bea")
    removed = remove(client, "parenting", "ann")
    assert removed.status_code == 204 and removed.content == b""
    # Not a member (any more), or no member at all: nothing to do, and no error.
    assert remove(client, "parenting", "ann").status_code == 204
    assert remove(client, "parenting", "nobody").status_code == 204
    group = client.get("/v1/groups/parenting", headers=ADMIN).json()
    assert group["members_total"] == 1
    assert client.get("/v1/groups", params={"member_id": "ann"}, headers=ADMIN).json() == {
        "member_id": "ann",
        "items": [],
    }
    assert_problem(remove(client, "nowhere", "ann"), 404, "group nowhere does not exist")
    # Re-adding after a removal counts again.
    assert add(client, "parenting", "ann").json()["members_total"] == 2


def test_get_unknown_group_is_404(client: TestClient) -> None:
    assert_problem(client.get("/v1/groups/nowhere", headers=ADMIN), 404, "nowhere")
    assert_problem(client.get("/v1/groups/nowhere/members", headers=ADMIN), 404, "group nowhere")


def test_members_come_in_id_order_page_by_page(client: TestClient) -> None:
    create(client)
    ids = [f"m{k:02d}" for k in range(7)]
    for member_id in reversed(ids):
        register(client, member_id)
        add(client, "parenting", member_id)
    register(client, "outsider")
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/groups/parenting/members", params=params, headers=ADMIN).json()
        assert page["group_id"] == "parenting"
        seen += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids and pages == 3
    whole = client.get("/v1/groups/parenting/members", headers=ADMIN).json()
    assert whole == {"group_id": "parenting", "items": ids, "next_cursor": None}


def test_paging_parameters_are_checked(client: TestClient) -> None:
    create(client)
    url = "/v1/groups/parenting/members"
    for params in ({"limit": 0}, {"limit": 1001}):
        assert_problem(client.get(url, params=params, headers=ADMIN), 422, "limit")
    assert_problem(client.get(url, params={"cursor": "%%%"}, headers=ADMIN), 422, "cursor")
    assert client.get(url, params={"limit": 1000}, headers=ADMIN).status_code == 200


def test_groups_of_a_member_in_id_order(client: TestClient) -> None:
    register(client, "ann")
    for group_id, kind in (("west-lake", "store"), ("english", "topic"), ("zj", "region")):
        create(client, {"id": group_id, "kind": kind, "name": group_id.title()})
        add(client, group_id, "ann")
    listed = client.get("/v1/groups", params={"member_id": "ann"}, headers=ADMIN).json()
    assert [g["id"] for g in listed["items"]] == ["english", "west-lake", "zj"]
    assert_problem(
        client.get("/v1/groups", params={"member_id": "nobody"}, headers=ADMIN), 404, "nobody"
    )
    assert_problem(client.get("/v1/groups", headers=ADMIN), 422, "member_id")


@pytest.mark.parametrize("role", sorted(ROLE_KEYS))
def test_roles_every_role_reads_auditors_cannot_write(client: TestClient, role: str) -> None:
    register(client, "ann")
    create(client, {"id": "seed", "kind": "other", "name": "Seed"})
    add(client, "seed", "ann")
    writes = [
        ("POST", "/v1/groups", {**PARENTING, "id": f"g-{role}"}),
        ("PUT", "/v1/groups/seed/members/ann", None),
        ("DELETE", "/v1/groups/seed/members/ann", None),
    ]
    reads = [
        client.get("/v1/groups/seed", headers=auth(role)),
        client.get("/v1/groups/seed/members", headers=auth(role)),
        client.get("/v1/groups", params={"member_id": "ann"}, headers=auth(role)),
    ]
    for response in reads:
        assert response.status_code == 200, (role, response.text)
    for method, path, body in writes:
        response = client.request(method, path, json=body, headers=auth(role))
        if role == "auditor":
            assert_problem(response, 403, "may not")
        else:
            assert response.status_code in (200, 201, 204), (role, response.text)


def test_no_key_is_401(client: TestClient) -> None:
    for method, path in (
        ("POST", "/v1/groups"),
        ("GET", "/v1/groups?member_id=ann"),
        ("GET", "/v1/groups/seed"),
        ("GET", "/v1/groups/seed/members"),
        ("PUT", "/v1/groups/seed/members/ann"),
        ("DELETE", "/v1/groups/seed/members/ann"),
    ):
        response = client.request(method, path, json=PARENTING)
        assert response.status_code == 401, path
        assert response.headers["content-type"] == "application/problem+json"
