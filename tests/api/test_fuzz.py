"""The whole API fuzzed from its own OpenAPI document (schemathesis): every operation, on both
backends, with valid and invalid data, must answer without a 5xx, with a status, headers and
a body that the document declares, refuse what the document says is invalid, and accept
(past validation) what it says is valid."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import Response
from schemathesis.checks import CheckContext
from schemathesis.config import SchemathesisConfig
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.main import create_app
from app.store.cypher_store import CypherStore
from tests.conftest import make_settings

CONFIG = SchemathesisConfig.from_dict(
    {
        # The key is the test's (below), on every request; the built-in `ignored_auth` check
        # still sends each request without it and with a wrong one, and expects a 401.
        "generation": {"with-security-parameters": False},
        "checks": {
            # A schema-valid request may still break a business rule the schema cannot say
            # (a member who joins before her inviter, a cursor this API never handed out):
            # those 422s are right. One that validation refused is not: see the check below.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
            }
        },
    }
)
# Generated cases per operation and backend; with the coverage phase's own cases and the
# checks' re-sent requests, ~200 requests per operation and backend (~400 in all), and the
# whole run (66 tests) within 3 minutes on a shared 2-core machine.
EXAMPLES = 150
# Errors of the code's own rules (a field validator: a period that ends before it starts,
# attributes nested too deep), which no schema can state.
RULE_ERRORS = {"value_error", "assertion_error"}
PATTERN_REFUSED = re.compile(r"String should match pattern '(.*)'", re.DOTALL)


def _at(body: Any, location: list[Any]) -> Any:
    """The value at a pydantic error location; a part naming a union member (the rule kind
    in `rules.0.sales_commission.rate_bp`) is no key of the body, and is passed over."""
    for part in location:
        if isinstance(body, dict) and part not in body:
            continue
        try:
            body = body[part]
        except (IndexError, TypeError):
            return None
    return body


def _said_by_the_schema(error: dict[str, Any], case: schemathesis.Case[Any]) -> bool:
    """Whether the schema could have refused what this validation error refused. JSON
    Schema's `integer` takes 600.0 (the same JSON number as 600), which the API refuses on
    purpose: an amount or a time is an integer, never a float. A path value holding a
    literal `%0D` is sent unencoded by the generator, so the API receives a carriage return
    the schema's pattern excludes: the transport's mistake, not a looser schema."""
    if error["type"] in RULE_ERRORS:
        return False
    location = error["location"]
    body = case.body
    if error["type"] == "string_pattern_mismatch" and location[:1] == ["path"]:
        pattern = PATTERN_REFUSED.fullmatch(error["message"])
        value = (case.path_parameters or {}).get(location[1])
        if pattern and isinstance(value, str) and unquote(value) != value:
            return re.search(pattern[1], unquote(value)) is not None
    if error["type"] == "int_type" and location[:1] == ["body"]:
        value = _at(body, location[1:])
        return not (isinstance(value, float) and value.is_integer())
    return True


@schemathesis.check
def schema_valid_requests_pass_validation(
    ctx: CheckContext, response: Response, case: schemathesis.Case[Any]
) -> bool | None:
    """A request the published schema allows must pass the code's own validation (a 422
    titled "Invalid request" is pydantic refusing it): the schema's patterns, types and
    bounds are the ones enforced, never a looser copy."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code != 422:
        return None
    problem = response.json()
    if problem.get("title") != "Invalid request":
        return None
    refused = [e for e in problem["errors"] if _said_by_the_schema(e, case)]
    if refused:
        raise AssertionError(f"the schema allows what validation refused: {refused}")
    return None


class CurrentApp:
    """The ASGI app schemathesis calls: it forwards each request to the app of the running
    test. schemathesis keeps one lifespan per app object for the whole process, while each
    test's app must run its own lifespan on its own store (its TestClient does)."""

    def __init__(self) -> None:
        self.target: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            # Nothing to start: each test's app was started by its TestClient.
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        assert self.target is not None, "no test app is running"
        await self.target(scope, receive, send)


# A small network under the ids and currency schemathesis tries first ("0", "AAA"), so that
# reads, paid marks, orders, refunds and traces meet stored records, not only 404s.
SEED: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/v1/members", {"id": "0", "name": "Root", "joined_at": 0}),
    ("POST", "/v1/members", {"id": "00", "inviter_id": "0", "joined_at": 0, "attributes": {}}),
    ("POST", "/v1/members/00/paid", {"paid_at": 1_000}),
    (
        "PUT",
        "/v1/plans/0",
        {
            "version": "0",
            "effective_from": 0,
            "currency": "AAA",
            "max_levels": 1,
            "rate_ceiling_bp": 1_000,
            "rules": [
                {"kind": "self_rebate", "rate_bp": 300},
                {"kind": "distribution", "level_rates_bp": [200]},
            ],
        },
    ),
    (
        "POST",
        "/v1/orders",
        {"id": "0", "buyer_id": "00", "amount": 10_000, "currency": "AAA", "placed_at": 2_000},
    ),
    ("POST", "/v1/orders/0/refunds", {"id": "0", "amount": 1_000, "refunded_at": 3_000}),
    ("POST", "/v1/groups", {"id": "0", "kind": "other", "name": "0"}),
    ("PUT", "/v1/groups/0/members/0", None),
    ("POST", "/v1/jobs/connectors", None),
]
CURRENT = CurrentApp()
# The document as the app serves it; building the app does no I/O (its store opens in the
# lifespan), so this happens at collection.
schema = schemathesis.openapi.from_dict(create_app(make_settings()).openapi(), config=CONFIG)
schema.app = CURRENT


@pytest.fixture
def admin_headers(store: CypherStore) -> Iterator[dict[str, str]]:
    """The app on this test's store, with an admin key (every route is reachable, so what is
    fuzzed is the route, not the 403) made here: schemathesis also sends the strings it
    finds in the code as values, and a key it found would be refused in a query string."""
    key = secrets.token_urlsafe(24)
    headers = {"Authorization": f"Bearer {key}"}
    app = create_app(make_settings(api_keys={key: "admin"}), store=store)
    with TestClient(app) as client:
        for method, path, body in SEED:
            answer = client.request(method, path, json=body, headers=headers)
            assert answer.status_code in (200, 201, 202), (path, answer.text)
        CURRENT.target = app
        yield headers
        CURRENT.target = None
        # Connector runs the cases started go on in threads: done before the store closes.
        for thread in threading.enumerate():
            if thread.name.startswith("job-") and not thread.name.endswith("-beat"):
                thread.join(120)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        # One store per operation and backend, on purpose: what a case writes, later cases meet.
        HealthCheck.function_scoped_fixture,
    ],
)
def test_api_answers_within_its_schema(
    case: schemathesis.Case[Any], admin_headers: dict[str, str]
) -> None:
    case.call_and_validate(headers=admin_headers)
