"""Errors a person can read: every problem a client's mistake earns says where and why in
words. No pydantic internals ("1 validation error for …", "[type=…]", errors.pydantic.dev
links, "input_value=", "Value error, " prefixes), no epoch numbers where a date is meant
(placed_at 1767312000000 is before … 1767657600000), no placeholders ("(limit tier = 0)"); a
decimal amount is told that amounts are integer minor units; a store that cannot answer
(Graph Data Science missing, Neo4j unreachable) is a 503 with Retry-After, never a 500."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import app.api.routes.connectors as connectors_route
from app.api.problems import PROBLEM_JSON
from app.core.errors import GdsUnavailable
from app.domain.plans import DAY_MS
from tests.api.routes.test_orders import JAN, SEED_PLAN
from tests.conftest import auth

ADMIN = {**auth("admin"), "content-type": "application/json"}
FORBIDDEN = (
    "validation error for",
    "[type=",
    "errors.pydantic.dev",
    "input_value",
    "input_type",
    "Value error, ",
    "= 0)",
)
# A time in ms since 1970 has 13 digits from 2001 to 2286: in a message it is a date that
# nobody can read.
EPOCH_MS = re.compile(r"(?<!\d)\d{13}(?!\d)")


def unreadable(text: str) -> list[str]:
    """What in `text` a person could not read: forbidden markers and epoch numbers."""
    found = [marker for marker in FORBIDDEN if marker in text]
    return found + EPOCH_MS.findall(text)


def problem_text(response: httpx.Response) -> list[str]:
    """Every message a client or page shows: the detail and each error's message."""
    body = response.json()
    return [body["detail"], *(str(e.get("message", "")) for e in body.get("errors", []))]


def day(n: float) -> int:
    return int(JAN) + int(n * DAY_MS)


ANN_JOINED = "2026-01-06T00:00:00Z"  # day(5)
PLAN_FROM = "2026-01-01T00:00:00Z"  # the seed plan's effective_from, JAN

# (method, path, JSON body or raw text or query, status, what the detail must say)
Case = tuple[str, str, Any, int, str]
CASES: list[Case] = [
    # A plan document that fails validation, through both plan routes.
    (
        "PUT",
        "/v1/plans/bad",
        {**SEED_PLAN, "version": "bad", "rules": [{"kind": "self_rebate", "rate_bp": 1.5},
                                                  {"kind": "nope"}]},
        422,
        "body.rules.0.self_rebate.rate_bp: 1.5 is not a rate: rates are integers of basis points",
    ),
    (
        "POST",
        "/v1/plans/check",
        {**SEED_PLAN, "rules": [{"kind": "referral_bonus", "amount": 20.5}]},
        422,
        "20.5 is not an amount: amounts are integers of minor units (fen, cents)",
    ),
    # Decimal amounts, wherever money is posted.
    (
        "POST",
        "/v1/orders",
        {"id": "o9", "buyer_id": "ann", "amount": 12.5, "currency": "CNY", "placed_at": day(6)},
        422,
        "body.amount: 12.5 is not an amount: amounts are integers of minor units",
    ),
    (
        "POST",
        "/v1/orders",
        {"id": "o9", "buyer_id": "ann", "amount": "1250", "currency": "CNY", "placed_at": day(6)},
        422,
        "'1250' is not an amount",
    ),
    (
        "POST",
        "/v1/orders/o2/refunds",
        {"id": "r9", "amount": 1.5, "refunded_at": day(8)},
        422,
        "1.5 is not an amount: amounts are integers of minor units",
    ),
    (
        "POST",
        "/v1/members/ann/super-memberships",
        {"id": "s9", "starts_at": day(6), "expires_at": day(36), "amount": 9.9, "currency": "CNY"},
        422,
        "9.9 is not an amount: amounts are integers of minor units",
    ),
    # Times that are no times.
    (
        "POST",
        "/v1/orders",
        {"id": "o9", "buyer_id": "ann", "amount": 100, "currency": "CNY", "placed_at": True},
        422,
        "body.placed_at: a time is epoch milliseconds (a JSON integer) or an ISO-8601 time with "
        "a zone, not true",
    ),
    ("POST", "/v1/members/bob/paid", {"paid_at": False}, 422, "a time is epoch milliseconds"),
    (
        "POST",
        "/v1/orders",
        {"id": "o9", "buyer_id": "ann", "amount": 100, "currency": "CNY",
         "placed_at": "2026-01-07T00:00:00"},
        422,
        "body.placed_at: '2026-01-07T00:00:00' has no zone",
    ),
    # Shapes: an unknown field, the wrong type deep in attributes, a body that is no JSON.
    (
        "POST",
        "/v1/orders",
        {"id": "o9", "buyer_id": "ann", "amount": 100, "currency": "CNY", "placed_at": day(6),
         "colour": "red"},
        422,
        "body.colour: Extra inputs are not permitted",
    ),
    (
        "POST",
        "/v1/members",
        '{"id": "cat", "attributes": {"a": {"b": [1, NaN]}}}',
        422,
        "body.attributes: value at a.b[1] is nan, not a JSON number",
    ),
    ("POST", "/v1/members", '{"id": "cat", "attributes": [1]}', 422, "valid dictionary"),
    ("POST", "/v1/members", '{"id": "cat",', 422, "body: not valid JSON"),
    # Domain refusals that name moments: as dates.
    (
        "PUT",
        "/v1/plans/retro",
        {**SEED_PLAN, "version": "retro", "effective_from": day(1)},
        409,
        "order o2 placed at 2026-01-08T00:00:00Z is already priced; a plan taking effect at "
        "2026-01-02T00:00:00Z would re-price it",
    ),
    (
        "PUT",
        "/v1/plans/same",
        {**SEED_PLAN, "version": "same"},
        409,
        f"plan version 2026-01 already takes effect at {PLAN_FROM}",
    ),
    (
        "POST",
        "/v1/orders",
        {"id": "o9", "buyer_id": "ann", "amount": 100, "currency": "CNY", "placed_at": day(1)},
        422,
        f"placed_at 2026-01-02T00:00:00Z is before buyer ann joined ({ANN_JOINED})",
    ),
    (
        "POST",
        "/v1/orders",
        {"id": "o9", "buyer_id": "ann", "amount": 100, "currency": "USD", "placed_at": day(8)},
        422,
        "plan 2026-01, in force at 2026-01-09T00:00:00Z, pays in CNY",
    ),
    (
        "POST",
        "/v1/orders/o2/refunds",
        {"id": "r9", "amount": 10, "refunded_at": day(0)},
        422,
        f"refunded_at {PLAN_FROM} is before the order was placed (2026-01-08T00:00:00Z)",
    ),
    (
        "POST",
        "/v1/members/ann/paid",
        {"paid_at": day(0)},
        422,
        f"paid_at {PLAN_FROM} is before member ann joined ({ANN_JOINED})",
    ),
    (
        "POST",
        "/v1/members/bob/paid",
        {"paid_at": day(9)},
        409,
        "member bob is already paid at 2026-01-08T00:00:00Z",
    ),
    (
        "POST",
        "/v1/members",
        {"id": "cat", "inviter_id": "ann", "joined_at": day(4)},
        422,
        f"joined_at 2026-01-05T00:00:00Z is before her inviter ann joined ({ANN_JOINED})",
    ),
    (
        "POST",
        "/v1/members/ann/super-memberships",
        {"id": "s9", "starts_at": day(0), "expires_at": day(30), "amount": 99, "currency": "CNY"},
        422,
        f"starts_at {PLAN_FROM} is before member ann joined ({ANN_JOINED})",
    ),
    (
        "POST",
        "/v1/members/ann/super-memberships",
        {"id": "s9", "starts_at": day(30), "expires_at": day(30), "amount": 99, "currency": "CNY"},
        422,
        "expires_at 2026-01-31T00:00:00Z must be after starts_at 2026-01-31T00:00:00Z",
    ),
    (
        "GET",
        "/v1/members/ann/tier",
        {"as_of": day(0)},
        422,
        f"member ann joined at {ANN_JOINED}, after as_of {PLAN_FROM}",
    ),
    (
        "POST",
        "/v1/simulations/tiers",
        {"ladder": [{"tier": "bee", "min_paid_invites": 0}], "period": {"from": day(1),
                                                                        "to": day(0)}},
        422,
        f"body.period: period.to ({PLAN_FROM}) must be after period.from (2026-01-02T00:00:00Z)",
    ),
    (
        "POST",
        "/v1/simulations/tiers",
        {"ladder": [{"tier": "bee", "min_paid_invites": 3}], "period": {"from": day(0),
                                                                        "to": day(1)}},
        422,
        "the proposed ladder is not valid: the first tier must start at 0 paid invites",
    ),
    # Query parameters.
    ("GET", "/v1/ledger", {"from": day(1), "to": day(0)}, 422,
     f"to ({PLAN_FROM}) must be after from (2026-01-02T00:00:00Z)"),
    ("GET", "/v1/members/ann/earnings", {"from": day(1), "to": day(0)}, 422,
     f"to ({PLAN_FROM}) must be after from (2026-01-02T00:00:00Z)"),
    ("GET", "/v1/compliance/report", {"from": day(1), "to": day(0)}, 422,
     f"to ({PLAN_FROM}) must be after from (2026-01-02T00:00:00Z)"),
    ("GET", "/v1/analytics/cohorts", {"from": day(1), "to": day(0)}, 422,
     f"to ({PLAN_FROM}) must be after from (2026-01-02T00:00:00Z)"),
    ("GET", "/v1/analytics/cohorts", {"from": day(0), "to": day(800)}, 422,
     f"the window from {PLAN_FROM} to 2028-03-11T00:00:00Z spans more than"),
    ("GET", "/v1/members/ann/tier", {"as_of": "yesterday"}, 422,
     "query.as_of: 'yesterday' is neither epoch milliseconds nor an ISO-8601 time"),
    ("GET", "/v1/connectors", {"limit": 0}, 422,
     "query.limit: Input should be greater than or equal to 1"),
]  # fmt: skip


def send(client: TestClient, method: str, path: str, payload: Any) -> httpx.Response:
    answer: httpx.Response
    if isinstance(payload, str):  # as written: NaN and broken JSON that httpx would refuse
        answer = client.request(method, path, content=payload.encode(), headers=ADMIN)
    elif method == "GET":
        answer = client.get(path, params=payload, headers=ADMIN)
    else:
        answer = client.request(method, path, json=payload, headers=ADMIN)
    return answer


@pytest.fixture
def history(client: TestClient) -> TestClient:
    """The seed plan from JAN; ann joins on day 5 and buys o2 on day 7; bob, her invitee,
    joins on day 6 and is paid on day 7."""
    assert send(client, "PUT", "/v1/plans/2026-01", SEED_PLAN).status_code == 201
    for member in (
        {"id": "ann", "joined_at": day(5)},
        {"id": "bob", "inviter_id": "ann", "joined_at": day(6)},
    ):
        assert send(client, "POST", "/v1/members", member).status_code == 201
    assert send(client, "POST", "/v1/members/bob/paid", {"paid_at": day(7)}).status_code == 200
    order = {"id": "o2", "buyer_id": "ann", "amount": 10_000, "currency": "CNY",
             "placed_at": day(7)}  # fmt: skip
    assert send(client, "POST", "/v1/orders", order).status_code == 201
    return client


def test_every_refusal_says_where_and_why_in_words(history: TestClient) -> None:
    wrong = []
    for method, path, payload, status, says in CASES:
        answer = send(history, method, path, payload)
        where = f"{method} {path} {payload!r:.80}"
        if answer.status_code != status or answer.headers["content-type"] != PROBLEM_JSON:
            wrong.append(f"{where}: {answer.status_code} {answer.text}")
            continue
        texts = problem_text(answer)
        if says not in texts[0]:
            wrong.append(f"{where}: detail {texts[0]!r} does not say {says!r}")
        wrong.extend(f"{where}: unreadable {bad!r} in {text!r}" for text in texts
                     for bad in unreadable(text))  # fmt: skip
    assert not wrong, "\n".join(wrong)


def test_a_plan_naming_an_unknown_tier_is_refused_in_a_sentence_without_placeholders(
    history: TestClient,
) -> None:
    allowance = {"kind": "training_allowance", "rate_bp": 100, "tier": "queen"}
    queen = {**SEED_PLAN, "version": "queen", "effective_from": day(30), "rules": [allowance]}
    checked = send(history, "POST", "/v1/plans/check", queen).json()
    assert checked["violations"] == [
        {
            "rule": 0,
            "limit": "tier",
            "value": None,  # was 0 and 0: no number describes a tier name
            "allowed": None,
            "message": "rule 0 names tier 'queen', which is not on the ladder "
            "(bee, butterfly, peacock, phoenix)",
        }
    ]
    refused = send(history, "PUT", "/v1/plans/queen", queen)
    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        "plan queen is refused: rule 0 names tier 'queen', which is not on the ladder "
        "(bee, butterfly, peacock, phoenix)"
    )


def test_graph_data_science_unavailable_is_503_with_retry_after(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No route lets GdsUnavailable out today (a connector run falls back to networkx), but
    one that did answered 500 "the server failed": the mapping is what is checked."""

    def no_gds(**_: object) -> None:
        raise GdsUnavailable("this Neo4j has no Graph Data Science")

    monkeypatch.setattr(connectors_route, "top_connectors", no_gds)
    answer = client.get("/v1/connectors", headers=auth("growth"))
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert int(answer.headers["retry-after"]) > 0
    assert answer.json()["title"] == "Graph Data Science unavailable"
    assert answer.json()["detail"] == "this Neo4j has no Graph Data Science"
