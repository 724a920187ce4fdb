"""Referral codes over HTTP on both backends: each member's code, regenerated codes that
keep resolving, and registrations and orders that name a code instead of an id."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient

from app.domain.referral_codes import ALPHABET, CODE_LENGTH
from tests.api.routes.test_members import assert_problem, register
from tests.api.routes.test_orders import load_seed_plan, order
from tests.conftest import auth

ADMIN = auth("admin")
STOREFRONT = auth("storefront")


def code_of(client: TestClient, member_id: str) -> dict[str, Any]:
    answer = client.get(f"/v1/members/{member_id}/referral-code", headers=STOREFRONT)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_member_gets_one_code_and_a_new_one_leaves_the_old_resolving(
    client: TestClient,
) -> None:
    register(client, "ann")
    first = code_of(client, "ann")
    assert len(first["code"]) == CODE_LENGTH and set(first["code"]) <= set(ALPHABET)
    assert first["previous"] == [] and code_of(client, "ann") == first  # asked again: the same
    fresh = client.post("/v1/members/ann/referral-code", headers=ADMIN)
    assert fresh.status_code == 201, fresh.text
    assert fresh.json()["code"] != first["code"] and fresh.json()["previous"] == [first["code"]]
    old = client.get(f"/v1/referral-codes/{first['code']}", headers=STOREFRONT).json()
    assert (old["member_id"], old["current"]) == ("ann", False)
    new = client.get(f"/v1/referral-codes/{fresh.json()['code']}", headers=STOREFRONT).json()
    assert (new["member_id"], new["current"]) == ("ann", True)


def test_a_code_is_read_as_people_type_it(client: TestClient) -> None:
    register(client, "ann")
    code = code_of(client, "ann")["code"]
    typed = f"{code[:4].lower()}-{code[4:]}".replace("0", "o").replace("1", "l")
    answer = client.get(f"/v1/referral-codes/{typed}", headers=STOREFRONT)
    assert answer.status_code == 200 and answer.json()["member_id"] == "ann"
    assert_problem(client.get("/v1/referral-codes/ZZZZZZZZ", headers=STOREFRONT), 404, "not known")
    assert client.get("/v1/referral-codes/UUUUUUUU", headers=STOREFRONT).status_code == 422
    assert client.get("/v1/referral-codes/SHORT", headers=STOREFRONT).status_code == 422
    assert_problem(client.get("/v1/members/ghost/referral-code", headers=STOREFRONT), 404, "ghost")


def test_concurrent_first_asks_issue_one_code(client: TestClient) -> None:
    register(client, "ann")
    seen: list[str] = []

    def ask() -> None:
        seen.append(code_of(client, "ann")["code"])

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1 and code_of(client, "ann")["previous"] == []


def test_registrations_and_orders_may_name_a_code(client: TestClient) -> None:
    assert load_seed_plan(client).status_code == 201
    register(client, "ann")
    code = code_of(client, "ann")["code"]
    body = {"id": "bo", "referral_code": code.lower(), "joined_at": 2000}
    joined = client.post("/v1/members", json=body, headers=STOREFRONT)
    assert joined.status_code == 201, joined.text
    assert joined.json()["inviter_id"] == "ann"
    assert client.post("/v1/members", json=body, headers=STOREFRONT).status_code == 200  # retry
    unknown = {"id": "cy", "referral_code": "ZZZZZZZZ"}
    assert_problem(client.post("/v1/members", json=unknown, headers=STOREFRONT), 422, "ZZZZZZZZ")
    other = {"id": "cy", "referral_code": code, "inviter_id": "bo"}
    assert_problem(
        client.post("/v1/members", json=other, headers=STOREFRONT), 422, "not inviter_id"
    )
    sold = client.post(
        "/v1/orders", json={**order("o1", "bo"), "shared_by_code": code}, headers=STOREFRONT
    )
    assert sold.status_code == 201, sold.text
    assert sold.json()["order"]["shared_by"] == "ann"
    assert "shared_by_code" not in sold.json()["order"]
    kinds = {(e["kind"], e["beneficiary_id"]) for e in sold.json()["entries"]}
    assert ("sales_commission", "ann") in kinds
    bad = {**order("o2", "bo"), "shared_by_code": "ZZZZZZZZ"}
    assert_problem(client.post("/v1/orders", json=bad, headers=STOREFRONT), 422, "ZZZZZZZZ")
    assert client.get("/v1/orders/o2", headers=ADMIN).status_code == 404


def test_clicks_registrations_and_paid_make_her_funnel(client: TestClient) -> None:
    register(client, "ann", joined_at=1000)
    code = code_of(client, "ann")["code"]
    for click_id, at in (("k1", 5000), ("k2", 6000), ("k3", 9000), ("k1", 7000)):
        body = {"id": click_id, "at": at}
        answer = client.post(
            f"/v1/referral-codes/{code.lower()}/clicks", json=body, headers=STOREFRONT
        )
        assert answer.status_code == 201, answer.text
    # k1 sent again is a retry: the first time stands.
    assert answer.json() == {"id": "k1", "code": code, "member_id": "ann", "at": 5000}
    for member_id, joined in (("bo", 5500), ("cy", 6500), ("di", 12000)):
        body = {"id": member_id, "referral_code": code, "joined_at": joined}
        assert client.post("/v1/members", json=body, headers=STOREFRONT).status_code == 201
    assert (
        client.post("/v1/members/bo/paid", json={"paid_at": 7000}, headers=ADMIN).status_code == 200
    )
    funnel = client.get(
        "/v1/members/ann/referral-funnel",
        params={"from": 5000, "to": 10000},
        headers=auth("growth"),
    )
    assert funnel.status_code == 200, funnel.text
    assert funnel.json() == {
        "member_id": "ann", "from": 5000, "to": 10000, "clicks": 3, "registrations": 2, "paid": 1,
    }  # fmt: skip
    other = client.post("/v1/referral-codes/ZZZZZZZZ/clicks", json={"id": "k9"}, headers=STOREFRONT)
    assert_problem(other, 404, "not known")
    register(client, "eve")
    eve = code_of(client, "eve")["code"]
    reused = client.post(f"/v1/referral-codes/{eve}/clicks", json={"id": "k1"}, headers=STOREFRONT)
    assert_problem(reused, 409, "another code")
