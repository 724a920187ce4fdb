"""The pages are served by the service itself, with everything they load from it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from app.domain.webhooks import EVENT_TYPES
from app.web.router import STATIC
from tests.conftest import auth
from tests.web.conftest import ROLE_VIEWS


def test_the_page_and_its_modules_are_served_with_their_types(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for path in ("/ui/static/js/main.js", "/ui/static/js/views/tree.js"):
        module = client.get(path)
        assert (module.status_code, module.headers["content-type"]) == (
            200, "text/javascript; charset=utf-8",
        )  # fmt: skip
    assert client.get("/ui/static/app.css").headers["content-type"] == "text/css; charset=utf-8"
    assert client.get("/ui/static/nope.js").status_code == 404


# Namespace names are identifiers the browser never fetches (SVG elements need theirs).
NAMESPACES = ("http://www.w3.org/2000/svg",)


def test_nothing_is_fetched_from_elsewhere() -> None:
    for asset in STATIC.rglob("*"):
        if asset.is_file():
            text = asset.read_text()
            for namespace in NAMESPACES:
                text = text.replace(namespace, "")
            assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text), asset


def test_the_context_needs_a_key_and_tells_the_role_and_ladder(client: TestClient) -> None:
    assert client.get("/ui/context").status_code == 401
    context = client.get("/ui/context", headers=auth("growth")).json()
    assert context["role"] == "growth"
    assert context["tier_ladder"][0]["tier"] == "bee"


def test_each_role_is_offered_the_views_and_actions_its_routes_allow(client: TestClient) -> None:
    offered = {
        role: (context["views"], context["actions"])
        for role in ("admin", "storefront", "growth", "auditor")
        for context in [client.get("/ui/context", headers=auth(role)).json()]
    }
    actions = {
        "admin": ["run_connectors", "manage_payouts", "read_points"],
        "storefront": ["read_points"],
        "growth": ["run_connectors"],
        "auditor": ["read_points"],
    }
    assert offered == {role: (views, actions.get(role, [])) for role, views in ROLE_VIEWS.items()}
    # `read_points` is exactly the roles the points routes answer (the others get a 403).
    for role, (_, role_actions) in offered.items():
        for tail in ("/points", "/points/history"):
            answer = client.get(f"/v1/members/nobody{tail}", headers=auth(role))
            assert answer.status_code == (404 if "read_points" in role_actions else 403), role


def test_every_page_path_carries_the_policy(client: TestClient) -> None:
    """`/ui/static/index.html` is the same page as `/`, and was served without the policy:
    it could be framed by any site (clickjacking) and run what the policy forbids."""
    for path in ("/", "/ui/static/index.html", "/ui/static/js/main.js", "/ui/static/app.css"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        policy = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, path
        assert answer.headers["x-content-type-options"] == "nosniff", path
    etag = client.get("/ui/static/index.html").headers["etag"]
    again = client.get("/ui/static/index.html", headers={"if-none-match": etag})
    assert again.status_code == 304
    assert "frame-ancestors 'none'" in again.headers["content-security-policy"]


def test_the_webhook_form_offers_every_event_type_in_order() -> None:
    """The create form's checkboxes are the page's own list: the domain's, in its order."""
    source = (STATIC / "js" / "views" / "webhooks.js").read_text()
    listed = re.search(r"const EVENT_TYPES = \[(.*?)\];", source, re.S)
    assert listed is not None
    assert tuple(re.findall(r'"([a-z_.]+)"', listed.group(1))) == EVENT_TYPES
