"""The request guard: what every request passes before the app reads it.

A 50 MB JSON body without a key used to be read and parsed before the key was checked (13 s
of a stalled event loop, +570 MB, then a 401): FastAPI reads and parses a body before it
runs any dependency, the key check included. So, in this order, before any route:

1. an API key in the query string is refused (400), and redacted from the request, so that
   no access log line (uvicorn logs the path with its query string) ever shows it;
2. a /v1 request (and the page's /ui/context) without a valid key is refused (401); the
   role each route needs is still checked by its dependency (app/api/deps.py);
3. a key past its rate limit for the request's class (reads, writes, jobs:
   REFGRAPH_RATE_LIMITS, app/domain/rate_limits.py) is refused (429, with Retry-After); a
   request refused before this (400, 401) takes nothing from the key's bucket;
4. a body larger than REFGRAPH_MAX_BODY_BYTES is refused (413): at once on its
   Content-Length, or as soon as a chunked body passes the limit, so at most the limit is
   ever held in memory.

Keyed answers carry `X-Content-Type-Options: nosniff` and `Cache-Control: no-store` (they
hold members' data and money: nothing is cached on the way, nothing sniffed as a page).
A pure ASGI middleware: it sees the request before FastAPI has read a byte of its body."""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.deps import KEY_INVALID, KEY_REQUIRED, role_of_key
from app.api.problems import TITLES, problem_json
from app.api.rate_limiter import RateLimiter
from app.core.config import Settings
from app.core.logs import REQUEST_ID, request_id_from
from app.core.metrics import HTTP_REQUESTS, HTTP_SECONDS, RATE_LIMITED
from app.core.tracing import tag_current_span
from app.domain.rate_limits import route_class
from app.domain.units import quoted
from app.store.read_routing import replica_may_answer

# Query parameters that can only be someone putting a key in a URL (compared lower-case).
KEY_PARAMETERS = frozenset(
    {"api_key", "apikey", "api-key", "key", "token", "access_token", "auth", "authorization"}
)
REDACTED = "[redacted]"
_DIGITS = re.compile(r"[0-9]+")
API_HEADERS = ((b"x-content-type-options", b"nosniff"), (b"cache-control", b"no-store"))
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
access = logging.getLogger("refgraph.access")


def is_keyed(path: str) -> bool:
    """Paths that need an API key: the API, the page's view of the caller's key, and the
    metrics (the admin's; unkeyed only on REFGRAPH_METRICS_PORT, bound to 127.0.0.1)."""
    return path == "/v1" or path.startswith("/v1/") or path in ("/ui/context", "/metrics")


class RequestGuard:
    def __init__(
        self, app: ASGIApp, settings: Settings, limiter: RateLimiter | None = None
    ) -> None:
        self.app = app
        self.api_keys: Mapping[str, str] = settings.api_keys
        self.max_body_bytes = settings.max_body_bytes
        self.limiter = limiter or RateLimiter(settings.rate_limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        keyed = is_keyed(scope["path"])
        if keyed:
            send = _with_api_headers(send)
        leaked = self._keys_in_query(scope)
        if leaked:
            # Redacted in the scope itself: the server logs the request from it afterwards.
            scope["query_string"] = _redacted_query(scope, leaked)
            await self._refuse(
                scope,
                receive,
                send,
                400,
                "an API key was sent in the query string (parameter "
                + ", ".join(sorted(quoted(name) for name in leaked))
                + "); send it as Authorization: Bearer <key>, never in a URL, and replace "
                "the key if the URL was shared or logged",
            )
            return
        if keyed:
            presented, role = self._caller(scope)
            if role is None:
                await self._refuse(scope, receive, send, 401, presented)
                return
            if await self._over_rate_limit(scope, receive, send, presented, role):
                return
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not _DIGITS.fullmatch(declared):
                await self._refuse(scope, receive, send, 400, "Content-Length is not a number")
                return
            # Bounded before int(), which refuses numbers past 4,300 digits (zeros included).
            length = declared.lstrip("0") or "0"
            if len(length) > 18 or int(length) > self.max_body_bytes:
                await self._refuse(scope, receive, send, 413, self._too_large())
                return
        body = await self._read_body(receive)
        if body is None:
            await self._refuse(scope, receive, send, 413, self._too_large())
            return
        await self.app(scope, _replay(body, receive), send)

    def _keys_in_query(self, scope: Scope) -> set[str]:
        """Names of the query parameters that carry a key: by name, or by value."""
        query = scope.get("query_string", b"").decode("latin-1")
        if not query:
            return set()
        leaked = set()
        for name, value in parse_qsl(query, keep_blank_values=True):
            if name.lower() in KEY_PARAMETERS or self._is_a_key(value):
                leaked.add(name)
        return leaked

    def _is_a_key(self, value: str) -> bool:
        found = False
        for key in self.api_keys:
            found |= hmac.compare_digest(key.encode(), value.encode())
        return found

    def _caller(self, scope: Scope) -> tuple[str, str | None]:
        """The presented key and its role; without a valid key, why (and None)."""
        authorization = _header(scope, b"authorization")
        scheme, _, presented = (authorization or "").partition(" ")
        presented = presented.strip()
        if scheme.lower() != "bearer" or not presented:
            return KEY_REQUIRED, None
        role = role_of_key(self.api_keys, presented)
        if role is None:
            return KEY_INVALID, None
        return presented, role

    async def _over_rate_limit(
        self, scope: Scope, receive: Receive, send: Send, key: str, role: str
    ) -> bool:
        """Takes a token from the key's bucket for the request's class; without one, answers
        429 with Retry-After (and True)."""
        kind = route_class(scope["method"], scope["path"])
        if kind is None:
            return False
        admission = self.limiter.take(key, role, kind)
        if admission is None or admission.admitted:
            return False
        RATE_LIMITED.labels(kind).inc()
        retry_after = admission.retry_after_s
        limit = self.limiter.limit_for(role, kind)
        detail = (
            f"this API key is past its rate limit for {kind}: {limit.describe()} "
            f"(REFGRAPH_RATE_LIMITS); retry in {retry_after} s"
        )
        response = problem_json(
            429,
            TITLES[429],
            detail,
            instance=scope["path"],
            response_headers={"Retry-After": str(retry_after)},
            route_class=kind,
            retry_after_s=retry_after,
        )
        await response(scope, receive, send)
        return True

    def _too_large(self) -> str:
        return (
            f"the request body is larger than {self.max_body_bytes} bytes (REFGRAPH_MAX_BODY_BYTES)"
        )

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it passes the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away: the app sees an empty body, then the disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, detail: str
    ) -> None:
        response = problem_json(status, TITLES[status], detail, instance=scope["path"])
        await response(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return None


def _redacted_query(scope: Scope, leaked: set[str]) -> bytes:
    query = scope["query_string"].decode("latin-1")
    pairs = [
        (name, REDACTED if name in leaked else value)
        for name, value in parse_qsl(query, keep_blank_values=True)
    ]
    return urlencode(pairs).encode("ascii")


def _with_api_headers(send: Send) -> Send:
    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            names = {name for name, _ in API_HEADERS}
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
            message = {**message, "headers": [*headers, *API_HEADERS]}
        await send(message)

    return send_with_headers


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read by the guard, handed to the app as one message; then the client's own
    messages (a disconnect)."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class ReplicaReads:
    """A GET or HEAD writes nothing, so every read it makes may go to the read replica
    (app/store/read_routing.py); installed only when REFGRAPH_READ_URL names one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            with replica_may_answer():
                await self.app(scope, receive, send)
            return
        await self.app(scope, receive, send)


class RequestContext:
    """The outermost layer: gives each request its id (the caller's `X-Request-ID` when it
    is plain, else a new one), answers it in `X-Request-ID` (problem+json bodies carry it
    too), and counts, times and logs the request by its route template once it is answered,
    refusals by the guard included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(_header(scope, b"x-request-id"))
        token = REQUEST_ID.set(request_id)
        tag_current_span(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            # The template the router matched ("/v1/members/{member_id}"), never the path:
            # the labels stay as few as the routes.
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_SECONDS.labels(method, route).observe(seconds)
            access.info(
                "answered",
                extra={"method": method, "route": route, "status": status,
                       "ms": round(seconds * 1000, 2)},
            )  # fmt: skip
            REQUEST_ID.reset(token)
