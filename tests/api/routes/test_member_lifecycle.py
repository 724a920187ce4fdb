"""Correcting and erasing members, and the audit trail, over HTTP on both backends."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.domain.lifecycle import key_id
from app.services.audit import audit_ledger
from app.store.cypher_store import CypherStore
from tests.api.routes.test_members import assert_problem, register
from tests.api.routes.test_orders import JAN, load_seed_plan, order
from tests.conftest import ROLE_KEYS, auth

ADMIN = auth("admin")


def patch(client: TestClient, member_id: str, body: dict[str, Any], role: str = "admin") -> Any:
    return client.patch(f"/v1/members/{member_id}", json=body, headers=auth(role))


def erase(client: TestClient, member_id: str, change_id: str = "erase-1") -> Any:
    body = {"change_id": change_id, "reason": "PIPL request"}
    return client.post(f"/v1/members/{member_id}/erasure", json=body, headers=ADMIN)


def history(client: TestClient, member_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/members/{member_id}/history", headers=ADMIN)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def found(client: TestClient, q: str) -> list[str]:
    page = client.get("/v1/members", params={"q": q}, headers=ADMIN).json()
    return [hit["id"] for hit in page["items"]]


def test_a_merge_patch_corrects_name_and_attributes_and_is_recorded(client: TestClient) -> None:
    register(client, "ann", name="Anne", attributes={"city": "Hangzhou", "kids": 1, "x": {"a": 1}})
    body = {
        "change_id": "c1",
        "reason": "typo",
        "name": "王芳",
        "attributes": {"city": None, "kids": 2, "x": {"b": 2}},
    }
    response = patch(client, "ann", body, role="storefront")
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "王芳"
    assert response.json()["attributes"] == {"kids": 2, "x": {"a": 1, "b": 2}}
    assert client.get("/v1/members/ann", headers=ADMIN).json() == response.json()
    assert found(client, "王") == ["ann"] and found(client, "anne") == []
    [change] = history(client, "ann")
    assert change == {
        "change_id": "c1",
        "member_id": "ann",
        "kind": "edit",
        "at": change["at"],
        "actor": {"role": "storefront", "key_id": key_id(ROLE_KEYS["storefront"])},
        "reason": "typo",
        "changed": ["name", "attributes.city", "attributes.kids", "attributes.x"],
    }
    assert ROLE_KEYS["storefront"] not in str(change)
    # A field left out stays; null removes it.
    assert patch(client, "ann", {"change_id": "c2", "name": None}).json()["name"] is None
    assert client.get("/v1/members/ann", headers=ADMIN).json()["attributes"]["kids"] == 2


def test_a_retried_change_changes_nothing_more_and_a_reused_id_is_409(client: TestClient) -> None:
    register(client, "ann", name="Ann")
    register(client, "bo")
    body = {"change_id": "c1", "name": "Annie"}
    first = patch(client, "ann", body)
    assert patch(client, "ann", body).json() == first.json()
    assert len(history(client, "ann")) == 1
    assert_problem(patch(client, "ann", {"change_id": "c1", "name": "Other"}), 409, "c1")
    assert_problem(patch(client, "bo", body), 409, "another change")
    assert client.get("/v1/members/ann", headers=ADMIN).json()["name"] == "Annie"
    assert history(client, "bo") == []


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"name": "x"}, "change_id"),
        ({"change_id": "c", "name": "a\x00b"}, "name"),
        ({"change_id": "c", "name": "x" * 201}, "name"),
        ({"change_id": "c", "tier": "phoenix"}, "tier"),
        ({"change_id": "c", "attributes": {"big": "x" * 9000}}, "attributes"),
        ({"change_id": "a b", "name": "x"}, "change_id"),
        ({"change_id": "c", "reason": ""}, "reason"),
    ],
)
def test_bad_patches_are_422_and_change_nothing(
    client: TestClient, body: dict[str, Any], where: str
) -> None:
    register(client, "ann", name="Ann", attributes={"k": 1})
    assert_problem(patch(client, "ann", body), 422, where)
    after = client.get("/v1/members/ann", headers=ADMIN).json()
    assert (after["name"], after["attributes"]) == ("Ann", {"k": 1})
    assert history(client, "ann") == []


def test_who_may_change_and_read_the_trail(client: TestClient) -> None:
    register(client, "ann")
    assert patch(client, "nobody", {"change_id": "c"}).status_code == 404
    assert patch(client, "ann", {"change_id": "c"}, role="growth").status_code == 403
    assert patch(client, "ann", {"change_id": "c"}, role="auditor").status_code == 403
    body = {"change_id": "e", "reason": "r"}
    for role in ("storefront", "growth", "auditor"):
        response = client.post("/v1/members/ann/erasure", json=body, headers=auth(role))
        assert response.status_code == 403
    assert client.get("/v1/members/ann/history", headers=auth("auditor")).status_code == 200
    assert client.get("/v1/members/ann/history", headers=auth("storefront")).status_code == 403
    assert client.get("/v1/members/nobody/history", headers=ADMIN).status_code == 404


def test_concurrent_edits_of_one_member_all_land(client: TestClient) -> None:
    """Each edit writes only over the member it read: none is lost to another."""
    register(client, "ann", attributes={"seed": 0})
    answers: list[int] = []

    def edit(k: int) -> None:
        body = {"change_id": f"c{k}", "attributes": {f"k{k}": k}}
        answers.append(patch(client, "ann", body).status_code)

    threads = [threading.Thread(target=edit, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 8
    attributes = client.get("/v1/members/ann", headers=ADMIN).json()["attributes"]
    assert attributes == {"seed": 0, **{f"k{k}": k for k in range(8)}}
    assert sorted(c["change_id"] for c in history(client, "ann")) == [f"c{k}" for k in range(8)]


@pytest.mark.usefixtures("ledger_clock")
def test_erasure_removes_personal_data_everywhere_and_keeps_the_ledger(
    client: TestClient, store: CypherStore, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Zhang Secretname"
    register(client, "root", name="Root", joined_at=JAN)
    register(client, "ann", "root", name=secret, attributes={"phone": "13800000000"}, joined_at=JAN)
    assert load_seed_plan(client).status_code == 201
    assert client.post("/v1/orders", json=order("o1", "ann"), headers=ADMIN).status_code == 201
    with caplog.at_level(logging.DEBUG):
        erased = erase(client, "ann")
        assert erased.status_code == 200, erased.text
        member = erased.json()
        assert (member["name"], member["attributes"]) == (None, None)
        assert member["erased_at"] is not None and member["id"] == "ann"
        assert erase(client, "ann").json() == member  # a retry
        assert erase(client, "ann", change_id="erase-2").json() == member  # erased already
        answers = [
            client.get("/v1/members/ann", headers=ADMIN).text,
            client.get("/v1/members", params={"q": "a"}, headers=ADMIN).text,
            client.get("/v1/members/root/tree", headers=ADMIN).text,
            client.get("/v1/members/ann/history", headers=ADMIN).text,
            client.get("/v1/orders/o1", headers=ADMIN).text,
        ]
    for text in [*answers, *(record.getMessage() for record in caplog.records)]:
        assert "Secretname" not in text and "13800000000" not in text
    assert found(client, "zhang") == [] and found(client, "an") == ["ann"]
    [change] = history(client, "ann")
    assert (change["kind"], change["changed"], change["reason"]) == (
        "erasure",
        ["name", "attributes"],
        "PIPL request",
    )
    assert_problem(patch(client, "ann", {"change_id": "c9", "name": "Back"}), 409, "erased")
    # Her place, counters and amounts stay: the ledger still adds up.
    assert client.get("/v1/members/root/downline/counts", headers=ADMIN).json()["direct_total"] == 1
    assert audit_ledger(store=store, ladder=client.app.state.settings.tier_ladder).differences == []
