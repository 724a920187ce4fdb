"""The logs an operator searches: one JSON object per request line, with the request id the
answer carried, the route template and status; never the caller's key, never a member's name
(an erased member's data must not outlive her in the logs)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.core.logs import REQUEST_ID, JsonLines, configure_logging
from tests.conftest import ROLE_KEYS, auth


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield written
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_each_request_is_one_json_line_with_its_id_and_no_secrets(
    client: TestClient, log_lines: io.StringIO
) -> None:
    body = {"id": "ann", "name": "Ann Secretname", "attributes": {"phone": "+86 138 0000 0000"}}
    created = client.post("/v1/members", json=body, headers=auth("admin"))
    assert created.status_code == 201
    refused = client.get("/v1/members/ann?api_key=" + ROLE_KEYS["admin"])
    assert refused.status_code == 400
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "refgraph.access"]
    assert [(a["method"], a["route"], a["status"]) for a in access] == [
        ("POST", "/v1/members", 201),
        ("GET", "unmatched", 400),
    ]
    assert access[0]["request_id"] == created.headers["x-request-id"]
    assert access[1]["request_id"] == refused.headers["x-request-id"]
    assert all(isinstance(a["ms"], float) and a["at"].endswith("+00:00") for a in access)
    # The service's lines (the test client's own httpx lines show the URL it sent).
    text = "\n".join(json.dumps(line) for line in lines if line["logger"] != "httpx")
    for secret in (*ROLE_KEYS.values(), "Secretname", "138 0000"):
        assert secret not in text


def test_a_line_outside_a_request_has_no_id_and_keeps_its_fields() -> None:
    formatter = JsonLines()
    record = logging.LogRecord("refgraph.jobs", logging.WARNING, "", 0, "job %s failed",
                               ("j1",), None)  # fmt: skip
    record.kind = "connectors"
    line = json.loads(formatter.format(record))
    assert line["message"] == "job j1 failed" and line["level"] == "warning"
    assert line["kind"] == "connectors" and "request_id" not in line
    token = REQUEST_ID.set("r-1")
    try:
        assert json.loads(formatter.format(record))["request_id"] == "r-1"
    finally:
        REQUEST_ID.reset(token)


def test_the_service_logs_json_or_text_as_configured() -> None:
    root = logging.getLogger()
    kept = root.handlers[:], root.level
    httpx_level = logging.getLogger("httpx").level
    try:
        configure_logging("json")
        assert isinstance(root.handlers[0].formatter, JsonLines)
        # httpx logs each URL it posts to at INFO: a webhook URL may carry its own token.
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
        configure_logging("text")
        assert not isinstance(root.handlers[0].formatter, JsonLines)
    finally:
        root.handlers[:], level = kept
        root.setLevel(level)
        logging.getLogger("httpx").setLevel(httpx_level)
