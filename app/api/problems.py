"""Every error leaves the API as application/problem+json (RFC 9457), mapped here once."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.core.errors import (
    Conflict,
    EngineBusy,
    InvalidInput,
    NotFound,
    RefgraphError,
    StoreUnavailable,
)
from app.core.logs import REQUEST_ID
from app.core.validation import error_message, error_path, validation_summary
from app.domain.text import servable_text

PROBLEM_JSON = "application/problem+json"
STATUS_OF: dict[type[RefgraphError], int] = {
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    StoreUnavailable: 503,
    EngineBusy: 503,
}
# Seconds: a killed embedded engine with a snapshot-sized log is back in about this long.
RETRY_AFTER_S = 2
log = logging.getLogger("refgraph.api")
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Content too large",
    429: "Too many requests",
}


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None


def problem_response(
    request: Request,
    status: int,
    title: str,
    detail: str,
    *,
    response_headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    return problem_json(
        status, title, detail, instance=request.url.path, response_headers=response_headers, **extra
    )


def problem_json(
    status: int,
    title: str,
    detail: str,
    *,
    instance: str,
    response_headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """The problem document; also answered by the request guard (app/api/middleware.py)
    before a request reaches a route."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body["instance"] = instance
    body.update(extra)
    # The id in X-Request-ID and in the logs: what a caller quotes to the operator.
    if (request_id := REQUEST_ID.get()) is not None:
        body["request_id"] = request_id
    headers = dict(response_headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status == 503:
        # The store is down for a moment (an embedded engine restarting and replaying, Neo4j
        # unreachable): a client may retry rather than give up.
        headers["Retry-After"] = str(RETRY_AFTER_S)
    # A problem may quote what the client sent (a field name is a key of her body), and a
    # lone surrogate there made the answer itself fail to encode: a 500 for a 422.
    return JSONResponse(
        _servable(body), status_code=status, media_type=PROBLEM_JSON, headers=headers or None
    )


def _servable(value: Any) -> Any:
    if isinstance(value, str):
        return servable_text(value)
    if isinstance(value, dict):
        return {_servable(key): _servable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_servable(item) for item in value]
    return value


# Any route: a key in the query string, a Content-Length that is no number, a body that
# cannot be read as JSON text. Documented on every route, since any route can answer it.
BAD_REQUEST = 400


RATE_LIMITED = 429
RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds until the key's bucket for this route class has a token",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def problem_responses(
    *statuses: int, limited: bool | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route can answer with (400 always: see
    BAD_REQUEST). A keyed route (one that answers 401) is rate-limited (429, with
    Retry-After) unless `limited` is False."""
    if limited is None:
        limited = 401 in statuses
    codes = {BAD_REQUEST, *statuses, *((RATE_LIMITED,) if limited else ())}
    responses: dict[int | str, dict[str, Any]] = {
        status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "Problem"}
        for status in sorted(codes)
    }
    if limited:
        responses[RATE_LIMITED] = {
            **responses[RATE_LIMITED],
            "description": "Past the key's rate limit (REFGRAPH_RATE_LIMITS)",
            "headers": RETRY_AFTER_HEADER,
        }
    return responses


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(RefgraphError)
    def domain_error(request: Request, error: RefgraphError) -> JSONResponse:
        status = next((code for cls, code in STATUS_OF.items() if isinstance(error, cls)), 500)
        return problem_response(request, status, error.title, error.detail, **error.extra)

    @app.exception_handler(RequestValidationError)
    def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        items = error.errors()
        errors = [
            {
                "location": error_path(item),
                "message": error_message(item),
                "type": item.get("type", ""),
            }
            for item in items
        ]
        # Each place with its reason ("has no zone" says more than a field's name), in
        # words: no "Value error, " prefixes, no pydantic codes or links.
        detail = f"the request is not valid: {validation_summary(items)}"
        return problem_response(request, 422, "Invalid request", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        # The exception's headers go out with it: a 405 must say which methods are allowed
        # (`Allow`, RFC 9110), and was answered without.
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem_response(
            request,
            error.status_code,
            _title(error.status_code),
            str(error.detail),
            response_headers=headers,
        )

    @app.exception_handler(Exception)
    def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(
            request, 500, "Internal error", "the server failed; the error was logged"
        )


def allowed_methods(request: Request) -> list[str]:
    """Every method the path answers, as the OpenAPI document lists them. Starlette's own
    `Allow` names only the first route whose path matches, and a path has a route per
    method here (`/v1/groups`: GET and POST). A static path (`/v1/plans/check`) is its own
    resource: a template that only matches it through a parameter (`/v1/plans/{version}`)
    is not counted for it. Paths outside the document (static files) ask the router."""
    path = request.scope["path"]
    matching = [
        (template, operations)
        for template, operations in request.app.openapi()["paths"].items()
        if _template_regex(template).fullmatch(path)
    ]
    static = [(template, ops) for template, ops in matching if "{" not in template]
    methods = {method.upper() for _, ops in static or matching for method in ops}
    methods &= HTTP_METHODS
    if not matching:
        methods = {
            method
            for method in HTTP_METHODS
            if any(
                route.matches({**request.scope, "method": method})[0] is Match.FULL
                for route in request.app.router.routes
            )
        }
    if "GET" in methods:
        methods.add("HEAD")  # Starlette answers HEAD wherever GET is
    return sorted(methods)


HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@functools.cache
def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)))


def _title(status: int) -> str:
    return TITLES.get(status, "HTTP error")
