"""The request guard (app/api/middleware.py): the key before the body, bodies capped, keys
never in a URL nor in a log line, and the headers every API answer carries."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.main import create_app
from app.api.middleware import RequestGuard
from app.store.cypher_store import CypherStore
from tests.conftest import ROLE_KEYS, auth, make_settings

MIB = 1 << 20


@dataclass
class Answer:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks_read: int = 0


def call_asgi(
    app: ASGIApp, *, headers: dict[str, str], chunks: int, chunk: bytes = b"[" * MIB
) -> Answer:
    """POST /v1/members straight through ASGI, with a body of `chunks` chunks handed out only
    when the app asks for them: what was read is counted, never allocated up front."""
    answer = Answer()

    async def receive() -> dict[str, object]:
        answer.chunks_read += 1
        if answer.chunks_read > chunks:
            return {"type": "http.disconnect"}
        more = answer.chunks_read < chunks
        return {"type": "http.request", "body": chunk, "more_body": more}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            answer.status = int(message["status"])  # type: ignore[call-overload]
            raw = message.get("headers", [])
            answer.headers = {k.decode(): v.decode() for k, v in raw}  # type: ignore[attr-defined]
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")  # type: ignore[operator]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/members",
        "raw_path": b"/v1/members",
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    return answer


def bare_app(**settings: object) -> FastAPI:
    """No store: everything here is answered before a route (or a store) is reached."""
    return create_app(make_settings(**settings))


def test_a_50_mb_body_without_a_key_is_refused_before_a_byte_is_read() -> None:
    """It was read and parsed first: 13 s of a stalled event loop, +570 MB, then a 401."""
    started = time.monotonic()
    answer = call_asgi(
        bare_app(), headers={"content-type": "application/json"}, chunks=50
    )  # fmt: skip
    assert answer.status == 401 and answer.chunks_read == 0
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"] == "Bearer"
    assert time.monotonic() - started < 2
    wrong = call_asgi(bare_app(), headers={"authorization": "Bearer nope"}, chunks=50)
    assert wrong.status == 401 and wrong.chunks_read == 0


def test_a_body_past_the_cap_is_refused_on_its_length_or_as_it_streams() -> None:
    app = bare_app(max_body_bytes=MIB)
    declared = call_asgi(app, headers={**auth("admin"), "content-length": str(50 * MIB)}, chunks=50)
    assert declared.status == 413 and declared.chunks_read == 0
    assert b"REFGRAPH_MAX_BODY_BYTES" in declared.body
    # Chunked (no Content-Length): read only until it passes the cap.
    chunked = call_asgi(app, headers=auth("admin"), chunks=50, chunk=b" " * (256 << 10))
    assert chunked.status == 413 and chunked.chunks_read == 5
    assert chunked.headers["content-type"] == "application/problem+json"


async def accepted(scope: Scope, receive: Receive, send: Send) -> None:
    """Stands for the app behind the guard: reads the body, answers 204."""
    await receive()
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@pytest.mark.parametrize(
    ("length", "status"),
    [("9" * 5_000, 413), ("0" * 5_000 + "1", 204), ("\u00b2", 400), ("ten", 400), ("-1", 400)],
)
def test_a_content_length_of_any_text_is_answered(length: str, status: int) -> None:
    """int() refuses 4,300+ digits and "²" passes str.isdigit(): neither may become a 500."""
    guard = RequestGuard(accepted, make_settings())
    headers = {**auth("admin"), "content-length": length}
    answer = call_asgi(guard, headers=headers, chunks=1, chunk=b"x")
    assert answer.status == status


def test_bodies_up_to_the_cap_are_served(store: CypherStore) -> None:
    app = create_app(make_settings(max_body_bytes=200), store=store)
    with TestClient(app) as small:
        fits = {"id": "ann", "name": "A" * 100}
        assert small.post("/v1/members", json=fits, headers=auth("admin")).status_code == 201
        too_big = {"id": "bea", "name": "B" * 200}
        answer = small.post("/v1/members", json=too_big, headers=auth("admin"))
        assert answer.status_code == 413
        assert answer.json()["title"] == "Content too large"


def test_malformed_json_without_a_key_is_a_401(client: TestClient) -> None:
    body = b'{"id": "ann", '
    json_type = {"content-type": "application/json"}
    assert client.post("/v1/members", content=body, headers=json_type).status_code == 401
    with_key = client.post("/v1/members", content=body, headers={**json_type, **auth("admin")})
    assert with_key.status_code == 422


@pytest.mark.parametrize(
    "query",
    [
        "api_key=abc",
        "key=abc",
        "token=abc",
        "access_token=abc",
        f"cursor={ROLE_KEYS['auditor']}",  # a configured key, under any name
    ],
)
def test_a_key_in_the_query_string_is_refused(client: TestClient, query: str) -> None:
    for path in ("/v1/ledger", "/healthz", "/ui/context"):
        answer = client.get(f"{path}?{query}", headers=auth("admin"))
        assert answer.status_code == 400, (path, query)
        assert answer.headers["content-type"] == "application/problem+json"
        assert "Authorization: Bearer" in answer.json()["detail"]
        # The request id is random hex, which may hold "abc" by chance: it is not the query.
        said = {k: v for k, v in answer.json().items() if k != "request_id"}
        assert "abc" not in str(said) and ROLE_KEYS["auditor"] not in answer.text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(store: CypherStore) -> Iterator[str]:
    """The app behind a real uvicorn, whose access log is what a key must never reach
    (it logs the path with its query string)."""
    port = free_port()
    config = uvicorn.Config(
        create_app(make_settings(), store=store),
        host="127.0.0.1",
        port=port,
        log_config=None,  # uvicorn's own records propagate to the test's log capture
        access_log=True,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)


def test_a_key_in_the_query_string_is_never_logged(
    served: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret = ROLE_KEYS["admin"]
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        for query in (f"api_key={secret}", f"cursor={secret}", "token=t0k3n-s3cr3t"):
            answer = httpx.get(f"{served}/v1/ledger?{query}&limit=5", headers=auth("admin"))
            assert answer.status_code == 400
        assert httpx.get(f"{served}/v1/ledger?limit=5", headers=auth("admin")).status_code == 200
    lines = [record.getMessage() for record in caplog.records if record.name == "uvicorn.access"]
    assert len(lines) == 4, lines
    assert all(secret not in line and "t0k3n-s3cr3t" not in line for line in lines), lines
    assert "api_key=%5Bredacted%5D&limit=5" in lines[0]


def test_api_answers_are_neither_cached_nor_sniffed(client: TestClient) -> None:
    answers = [
        client.post("/v1/members", json={"id": "ann"}, headers=auth("admin")),  # 201
        client.get("/v1/members/ann", headers=auth("admin")),  # 200
        client.get("/v1/members/nobody", headers=auth("admin")),  # 404
        client.get("/v1/members/ann"),  # 401
        client.get("/v1/members/ann?token=x", headers=auth("admin")),  # 400
        client.get("/ui/context", headers=auth("admin")),
    ]
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff", answer.request.url
        assert answer.headers["cache-control"] == "no-store", answer.request.url


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/groups", "GET, HEAD, POST"),  # a route per method on one path
        ("GET", "/v1/groups/g/members/m", "DELETE, PUT"),
        ("OPTIONS", "/v1/plans/check", "POST"),  # its own resource, not a version named so
        ("TRACE", "/healthz", "GET, HEAD"),
    ],
)
def test_a_405_says_which_methods_are_allowed(
    client: TestClient, method: str, path: str, allowed: str
) -> None:
    answer = client.request(method, path, headers=auth("admin"))
    assert answer.status_code == 405
    assert answer.headers["allow"] == allowed
    assert answer.headers["content-type"] == "application/problem+json"


def test_the_schema_documents_400_everywhere_and_413_where_a_body_is_read() -> None:
    document = bare_app().openapi()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert "400" in statuses, (method, path)
            if "requestBody" in operation:
                assert "413" in statuses, (method, path)
