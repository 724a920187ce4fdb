"""Every role against every route: who may, who gets 403, and 401 without a valid key."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ROLE_KEYS, auth

# (method, path, body, roles allowed)
ROUTES = [
    ("POST", "/v1/members", {"id": "new", "inviter_id": "root"}, {"admin", "storefront"}),
    ("POST", "/v1/members/kid/paid", {}, {"admin", "storefront"}),
    ("GET", "/v1/members/kid", None, {"admin", "storefront", "growth", "auditor"}),
    ("GET", "/v1/members/kid/tier", None, {"admin", "storefront", "growth", "auditor"}),
    ("GET", "/v1/members/root/downline/counts", None, {"admin", "growth", "auditor"}),
    ("GET", "/v1/members/kid/upline", None, {"admin", "growth", "auditor"}),
]


@pytest.fixture
def network(client: TestClient) -> TestClient:
    for body in ({"id": "root"}, {"id": "kid", "inviter_id": "root"}):
        assert client.post("/v1/members", json=body, headers=auth("admin")).status_code == 201
    return client


@pytest.mark.parametrize("role", sorted(ROLE_KEYS))
def test_role_matrix(network: TestClient, role: str) -> None:
    for method, path, body, allowed in ROUTES:
        response = network.request(method, path, json=body, headers=auth(role))
        if role in allowed:
            assert response.status_code in (200, 201), (role, path, response.text)
        else:
            assert response.status_code == 403, (role, path)
            assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dGVzdA=="},
     {"Authorization": f"Bearer {ROLE_KEYS['admin']}x"}],
)  # fmt: skip
def test_missing_or_wrong_key_is_401_on_every_route(
    network: TestClient, headers: dict[str, str]
) -> None:
    for method, path, body, _ in ROUTES:
        response = network.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (path, headers)
        assert response.headers["www-authenticate"] == "Bearer"
        assert ROLE_KEYS["admin"] not in response.text
