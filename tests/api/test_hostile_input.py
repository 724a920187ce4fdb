"""Input that used to be written and then fail every answer that held it, and input that
used to be coerced into something else: refused before anything is written (422 naming the
field), and what an older version stored still served."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.domain.text import MAX_ATTRIBUTES_DEPTH
from app.store.cypher_store import CypherStore
from tests.conftest import auth, make_settings
from tests.engines import run_cypher

JSON = {"content-type": "application/json", **auth("admin")}


def post_raw(client: TestClient, path: str, text: str) -> Any:
    """A body as written, escapes included: a client library would refuse to encode a lone
    surrogate, a hostile client does not."""
    return client.post(path, content=text.encode(), headers=JSON)


def nested(depth: int) -> str:
    return '{"x":' * (depth - 1) + "{}" + "}" * (depth - 1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (f'{{"id": "ann", "attributes": {nested(300)}}}', "attributes"),
        (f'{{"id": "ann", "attributes": {nested(MAX_ATTRIBUTES_DEPTH + 1)}}}', "attributes"),
        ('{"id": "ann", "attributes": {"a": "\\ud800"}}', "attributes"),
        ('{"id": "ann", "attributes": {"\\udfff": 1}}', "attributes"),
        ('{"id": "ann", "attributes": {"a": NaN}}', "attributes"),
        ('{"id": "ann", "attributes": {"a": 1e999}}', "attributes"),
        ('{"id": "ann", "name": "Ann\\ud800"}', "name"),
        ('{"id": "ann\\ud800"}', "id"),
        ('{"id": "ann", "inviter_id": "\\udbff"}', "inviter_id"),
        # An unknown field that is no text: the body itself is what is refused.
        ('{"id": "ann", "\\ud800": 1}', None),
    ],
)
def test_a_registration_that_could_not_be_served_back_is_refused(
    client: TestClient, body: str, field: str | None
) -> None:
    answer = post_raw(client, "/v1/members", body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    named = [field] if field is not None else []
    assert named in [error["location"][1:2] for error in answer.json()["errors"]]
    assert client.get("/v1/members/ann", headers=auth("admin")).status_code == 404


def test_every_string_that_enters_is_unicode(client: TestClient) -> None:
    assert post_raw(client, "/v1/members", '{"id": "ann"}').status_code == 201
    refused = [
        ("/v1/groups", '{"id": "g", "kind": "topic", "name": "Circle \\ud800"}'),
        ("/v1/groups", '{"id": "g\\ud800", "kind": "topic", "name": "Circle"}'),
        (
            "/v1/orders",
            '{"id": "o\\ud800", "buyer_id": "ann", "amount": 1, "currency": "CNY", "placed_at": 1}',
        ),
        (
            "/v1/members/ann/super-memberships",
            '{"id": "\\ud800", "starts_at": 1, "expires_at": 2, "amount": 1, "currency": "CNY"}',
        ),
    ]
    for path, body in refused:
        answer = post_raw(client, path, body)
        assert answer.status_code == 422, (path, answer.text)
        assert "not valid Unicode" in answer.text


def test_a_record_an_older_version_stored_is_still_served(
    client: TestClient, store: CypherStore
) -> None:
    """Attributes 300 levels deep, with a lone surrogate and NaN, as an older version wrote
    them: every read, retry and paid mark of her answered 500."""
    old = {"id": "old", "joined_at": 0}
    assert client.post("/v1/members", json=old, headers=auth("admin")).status_code == 201
    deep: Any = {}
    for _ in range(299):
        deep = {"x": deep}
    stored = json.dumps({"deep": deep, "s": "\ud800", "n": float("nan")}, sort_keys=True)
    assert stored.isascii()  # json.dumps escapes the surrogate: the store took it as ASCII
    run_cypher(store, "MATCH (m:Member {id: 'old'}) SET m.attributes_json = $a", {"a": stored})
    read = client.get("/v1/members/old", headers=auth("growth"))
    assert read.status_code == 200, read.text
    attributes = read.json()["attributes"]
    assert attributes["s"] == "\\ud800" and attributes["n"] == "NaN"
    assert isinstance(attributes["deep"], dict)
    paid = client.post("/v1/members/old/paid", json={"paid_at": 10}, headers=auth("admin"))
    assert paid.status_code == 200 and paid.json()["paid_at"] == 10
    again = client.post("/v1/members", json=old, headers=auth("admin"))
    assert again.status_code == 409  # her stored attributes differ: said, not a 500
    assert client.get("/v1/members/old/tier", headers=auth("admin")).status_code == 200


@pytest.mark.parametrize("paid_at", [False, True, 1.5, 1000.0, "1000", None])
def test_a_time_is_an_integer_or_an_iso_time_and_nothing_else(
    client: TestClient, paid_at: object
) -> None:
    """`{"paid_at": false}` marked her paid at epoch 0."""
    client.post("/v1/members", json={"id": "ann", "joined_at": 0}, headers=auth("admin"))
    body = {"paid_at": paid_at} if paid_at is not None else {"paid_at": {"at": 1}}
    answer = client.post("/v1/members/ann/paid", json=body, headers=auth("admin"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["location"][:2] == ["body", "paid_at"]
    assert client.get("/v1/members/ann", headers=auth("admin")).json()["paid_at"] is None
    iso = client.post(
        "/v1/members/ann/paid", json={"paid_at": "1970-01-01T00:00:01Z"}, headers=auth("admin")
    )
    assert iso.status_code == 200 and iso.json()["paid_at"] == 1_000


@pytest.mark.parametrize("amount", [True, 100.0, "100", 1e3])
def test_an_amount_is_an_integer_and_nothing_else(client: TestClient, amount: object) -> None:
    order = {"id": "o", "buyer_id": "ann", "amount": amount, "currency": "CNY", "placed_at": 1}
    answer = client.post("/v1/orders", json=order, headers=auth("admin"))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["location"] == ["body", "amount"]


def test_a_flag_is_a_boolean_and_nothing_else(client: TestClient) -> None:
    plan = {"version": "p1", "effective_from": 0, "currency": "CNY", "max_levels": 1,
            "rate_ceiling_bp": 500, "rules": [], "promoter_counts_as_level": 0}  # fmt: skip
    answer = client.post("/v1/plans/check", json=plan, headers=auth("admin"))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["location"] == ["body", "promoter_counts_as_level"]


@pytest.mark.parametrize("count", ["5", 5.0, True])
def test_a_count_is_an_integer_and_nothing_else(client: TestClient, count: object) -> None:
    ladder = [
        {"tier": "bee", "min_paid_invites": 0},
        {"tier": "butterfly", "min_paid_invites": count},
        {"tier": "peacock", "min_paid_invites": 20},
        {"tier": "phoenix", "min_paid_invites": 51},
    ]
    what_if = {"ladder": ladder, "period": {"from": 0, "to": 1_000}}
    answer = client.post("/v1/simulations/tiers", json=what_if, headers=auth("admin"))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["location"] == ["body", "ladder", 1, "min_paid_invites"]


def test_a_query_time_is_digits_or_an_iso_time(client: TestClient) -> None:
    client.post("/v1/members", json={"id": "ann", "joined_at": 0}, headers=auth("admin"))
    for as_of in ("1000", "1970-01-01T00:00:01%2B00:00", "1970-01-01T00:00:01Z"):
        answer = client.get(f"/v1/members/ann/tier?as_of={as_of}", headers=auth("admin"))
        assert answer.status_code == 200, (as_of, answer.text)
    for as_of in ("true", "1.5", "9" * 5_000, "1970-01-01T00:00:01"):
        answer = client.get(f"/v1/members/ann/tier?as_of={as_of}", headers=auth("admin"))
        assert answer.status_code == 422, as_of
        assert len(answer.text) < 2_000  # a 5,000-digit input is not echoed back


def test_ids_in_paths_follow_the_published_pattern(client: TestClient) -> None:
    """Path ids were plain strings: a control character or 10,000 characters reached the
    store. Now the pattern the document publishes is enforced there too (422)."""
    for path in ("/v1/members/a%00b", "/v1/members/" + "x" * 129, "/v1/orders/a%20b"):
        assert client.get(path, headers=auth("admin")).status_code == 422, path
    assert client.get("/v1/members/" + "x" * 128, headers=auth("admin")).status_code == 404


def patterns(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return found + [p for value in node.values() for p in patterns(value)]
    if isinstance(node, list):
        return [p for value in node for p in patterns(value)]
    return []


def test_every_published_pattern_reads_the_same_in_every_dialect() -> None:
    """The document's patterns are read as ECMA-262 by clients and enforced by pydantic
    (Rust regex): class escapes whose meaning differs between them (`\\s` took U+0085 as
    whitespace in the code, not in the document) are not used."""
    found = patterns(create_app(make_settings()).openapi())
    assert found
    for pattern in found:
        assert not re.search(r"\\[sSwWdDbB]", pattern), pattern
