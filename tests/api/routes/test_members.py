"""The members API, route by route, on both backends."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import auth

ADMIN = auth("admin")
# Both spend-ladder parts of a tier answer for a member without purchases or memberships.
NO_SPEND = {
    "spend": {"level": "v0", "price_bp": 10_000, "currency": "CNY", "rolling_spend": 0,
              "held_until": None, "next_level": "v1", "spend_to_next": 500_000},
    "super_membership": {"active": False, "since": None, "expires_at": None},
}  # fmt: skip


def register(
    client: TestClient, member_id: str, inviter_id: str | None = None, **extra: Any
) -> Any:
    body = {"id": member_id, "inviter_id": inviter_id, "joined_at": 1000, **extra}
    return client.post("/v1/members", json=body, headers=ADMIN)


def assert_problem(response: Any, status: int, detail_contains: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and detail_contains in body["detail"], body


def test_register_returns_201_then_200_for_the_same_registration(client: TestClient) -> None:
    first = register(client, "ann", name="Ann", attributes={"city": "Hangzhou"})
    assert first.status_code == 201
    assert first.json() == {
        "id": "ann", "inviter_id": None, "name": "Ann", "joined_at": 1000,
        "paid_at": None, "tier": "bee", "attributes": {"city": "Hangzhou"}, "erased_at": None,
        "status": "active",
    }  # fmt: skip
    again = register(client, "ann", name="Ann", attributes={"city": "Hangzhou"})
    assert again.status_code == 200 and again.json() == first.json()


def test_the_created_answer_is_what_a_read_back_answers(client: TestClient) -> None:
    # The registration answers without reading her back: it must say what the store holds.
    register(client, "root")
    attributes = {"z": [1, {"b": None, "a": "x"}], "a": {"nested": True}, "m": 1.5}
    created = register(client, "kid", "root", name="Zoë  Ann", attributes=attributes)
    assert created.status_code == 201
    stored = client.get("/v1/members/kid", headers=ADMIN)
    assert created.json() == stored.json()
    assert list(created.json()["attributes"]) == list(stored.json()["attributes"])


def test_register_without_joined_at_uses_now_and_retries_cleanly(client: TestClient) -> None:
    first = client.post("/v1/members", json={"id": "now"}, headers=ADMIN)
    assert first.status_code == 201 and first.json()["joined_at"] > 1_700_000_000_000
    again = client.post("/v1/members", json={"id": "now"}, headers=ADMIN)
    assert again.status_code == 200 and again.json() == first.json()


def test_same_id_with_other_inviter_or_payload_is_409_naming_the_fields(client: TestClient) -> None:
    register(client, "root")
    register(client, "other")
    register(client, "bee1", "root", name="B")
    conflict = register(client, "bee1", "other", name="C")
    assert_problem(conflict, 409, "inviter_id, name")
    assert conflict.json()["conflicting_fields"] == ["inviter_id", "name"]
    assert client.get("/v1/members/bee1", headers=ADMIN).json()["inviter_id"] == "root"


def test_invalid_registrations_are_422_and_change_nothing(client: TestClient) -> None:
    assert_problem(register(client, "solo", "solo"), 422, "cannot invite herself")
    assert_problem(register(client, "lost", "nobody"), 422, "inviter nobody is not a member")
    assert_problem(client.post("/v1/members", json={"id": "a b"}, headers=ADMIN), 422, "body.id")
    assert_problem(
        client.post("/v1/members", json={"id": "x", "joined_at": -5}, headers=ADMIN),
        422,
        "joined_at",
    )
    assert_problem(
        client.post("/v1/members", json={"id": "x", "colour": "red"}, headers=ADMIN), 422, "colour"
    )
    assert_problem(register(client, "nul", name="a\x00b"), 422, "body.name")
    assert_problem(client.post("/v1/members", json={"id": "a\x00"}, headers=ADMIN), 422, "body.id")
    big = {"blob": "x" * 9000}
    assert_problem(register(client, "big", attributes=big), 422, "attributes")
    for member_id in ("solo", "lost", "x", "big"):
        assert client.get(f"/v1/members/{member_id}", headers=ADMIN).status_code == 404


def test_a_member_cannot_join_before_her_inviter(client: TestClient) -> None:
    register(client, "mum", joined_at=5000)
    early = register(client, "early", "mum", joined_at=4999)
    assert_problem(
        early,
        422,
        "joined_at 1970-01-01T00:00:04.999Z is before her inviter mum joined "
        "(1970-01-01T00:00:05Z)",
    )
    assert (early.json()["field"], early.json()["inviter_joined_at"]) == ("joined_at", 5000)
    assert client.get("/v1/members/early", headers=ADMIN).status_code == 404
    # The same millisecond is fine; so is no joined_at (now), long after hers.
    assert register(client, "twin", "mum", joined_at=5000).status_code == 201
    now = client.post("/v1/members", json={"id": "now", "inviter_id": "mum"}, headers=ADMIN)
    assert now.status_code == 201
    counts = client.get("/v1/members/mum/downline/counts", headers=ADMIN).json()
    assert counts["direct_total"] == 2
    # An inviter who joins in the future: a registration without joined_at (now) precedes her.
    register(client, "future", joined_at=253_402_300_799_999)
    assert_problem(
        client.post("/v1/members", json={"id": "kid", "inviter_id": "future"}, headers=ADMIN),
        422,
        "(joined_at was not given: now)",
    )


def test_mark_paid_is_idempotent_and_checks_times(client: TestClient) -> None:
    register(client, "root")
    register(client, "kid", "root")
    assert_problem(
        client.post("/v1/members/kid/paid", json={"paid_at": 999}, headers=ADMIN), 422, "before"
    )
    paid = client.post("/v1/members/kid/paid", json={"paid_at": 5000}, headers=ADMIN)
    assert paid.status_code == 200 and paid.json()["paid_at"] == 5000
    assert client.post("/v1/members/kid/paid", headers=ADMIN).json()["paid_at"] == 5000
    assert (
        client.post("/v1/members/kid/paid", json={"paid_at": 5000}, headers=ADMIN).status_code
        == 200
    )
    assert_problem(
        client.post("/v1/members/kid/paid", json={"paid_at": 6000}, headers=ADMIN),
        409,
        "already paid",
    )
    assert_problem(client.post("/v1/members/ghost/paid", headers=ADMIN), 404, "ghost")
    counts = client.get("/v1/members/root/downline/counts", headers=ADMIN).json()
    assert (counts["direct_paid"], counts["downline_paid"]) == (1, 1)


def test_tier_reports_progress_and_history(client: TestClient) -> None:
    register(client, "queen")
    for k in range(5):
        register(client, f"f{k}", "queen")
        client.post(f"/v1/members/f{k}/paid", json={"paid_at": 2000 + k}, headers=ADMIN)
    tier = client.get("/v1/members/queen/tier", headers=ADMIN).json()
    assert tier == {
        "member_id": "queen", "tier": "butterfly", "paid_direct_invites": 5,
        "next_tier": "peacock", "invites_to_next": 15, "since": 2004, **NO_SPEND,
    }  # fmt: skip
    before = client.get("/v1/members/queen/tier?as_of=2003", headers=ADMIN).json()
    assert before == {
        "member_id": "queen", "tier": "bee", "paid_direct_invites": 4,
        "next_tier": "butterfly", "invites_to_next": 1, "since": 1000, **NO_SPEND,
    }  # fmt: skip
    assert_problem(client.get("/v1/members/queen/tier?as_of=10", headers=ADMIN), 422, "as_of")
    assert_problem(client.get("/v1/members/queen/tier?as_of=soon", headers=ADMIN), 422, "as_of")
    assert_problem(client.get("/v1/members/ghost/tier", headers=ADMIN), 404, "ghost")


def test_downline_counts_and_histogram(client: TestClient) -> None:
    register(client, "r")
    register(client, "a", "r")
    register(client, "b", "a")
    register(client, "c", "a")
    client.post("/v1/members/c/paid", headers=ADMIN)
    counts = client.get("/v1/members/r/downline/counts?max_depth=3", headers=ADMIN).json()
    assert counts == {
        "member_id": "r", "direct_total": 1, "direct_paid": 0, "downline_total": 3,
        "downline_paid": 1,
        "levels": [
            {"depth": 1, "total": 1, "paid": 0},
            {"depth": 2, "total": 2, "paid": 1},
            {"depth": 3, "total": 0, "paid": 0},
        ],
    }  # fmt: skip
    assert len(client.get("/v1/members/r/downline/counts", headers=ADMIN).json()["levels"]) == 10
    assert_problem(
        client.get("/v1/members/r/downline/counts?max_depth=11", headers=ADMIN), 422, "max_depth"
    )
    assert_problem(client.get("/v1/members/zz/downline/counts", headers=ADMIN), 404, "zz")


def test_upline_walks_to_the_root(client: TestClient) -> None:
    for member_id, inviter in [("r", None), ("a", "r"), ("b", "a"), ("c", "b")]:
        register(client, member_id, inviter)
    assert client.get("/v1/members/c/upline", headers=ADMIN).json() == {
        "member_id": "c", "path": ["b", "a", "r"],
    }  # fmt: skip
    assert client.get("/v1/members/c/upline?limit=1", headers=ADMIN).json()["path"] == ["b"]
    assert client.get("/v1/members/r/upline", headers=ADMIN).json()["path"] == []
    assert_problem(client.get("/v1/members/c/upline?limit=0", headers=ADMIN), 422, "limit")
    assert_problem(client.get("/v1/members/zz/upline", headers=ADMIN), 404, "zz")


def test_health_and_readiness_need_no_key(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    assert_problem(client.get("/v1/nothing", headers=ADMIN), 404, "Not Found")


def test_openapi_documents_every_route_with_security(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in [
        "/v1/members", "/v1/members/{member_id}/paid", "/v1/members/{member_id}",
        "/v1/members/{member_id}/tier", "/v1/members/{member_id}/downline/counts",
        "/v1/members/{member_id}/upline", "/healthz", "/readyz",
    ]:  # fmt: skip
        assert path in paths, path
    get_member = paths["/v1/members/{member_id}"]["get"]
    assert get_member["operationId"] == "members-get_member"
    assert get_member["security"] == [{"HTTPBearer": []}]
    assert "application/problem+json" in get_member["responses"]["404"]["content"]
