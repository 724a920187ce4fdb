"""Every error leaves the API as application/problem+json (RFC 9457), mapped here once."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import (
    Conflict,
    EngineBusy,
    InvalidInput,
    NotFound,
    RefgraphError,
    StoreUnavailable,
)

PROBLEM_JSON = "application/problem+json"
STATUS_OF: dict[type[RefgraphError], int] = {
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    StoreUnavailable: 503,
    EngineBusy: 503,
}
log = logging.getLogger("refgraph.api")


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None


def problem_response(
    request: Request, status: int, title: str, detail: str, **extra: Any
) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body["instance"] = request.url.path
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route can answer with."""
    return {
        status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "Problem"}
        for status in statuses
    }


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(RefgraphError)
    def domain_error(request: Request, error: RefgraphError) -> JSONResponse:
        status = next((code for cls, code in STATUS_OF.items() if isinstance(error, cls)), 500)
        return problem_response(request, status, error.title, error.detail, **error.extra)

    @app.exception_handler(RequestValidationError)
    def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "location": list(item.get("loc", ())),
                "message": item.get("msg", ""),
                "type": item.get("type", ""),
            }
            for item in error.errors()
        ]
        where = ", ".join(".".join(str(p) for p in e["location"]) for e in errors)
        # The reasons too: "has no zone" says more than a field's name.
        why = "; ".join(str(e["message"]) for e in errors)
        detail = f"the request is not valid at: {where} ({why})"
        return problem_response(request, 422, "Invalid request", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            request, error.status_code, _title(error.status_code), str(error.detail)
        )

    @app.exception_handler(Exception)
    def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(
            request, 500, "Internal error", "the server failed; the error was logged"
        )


def _title(status: int) -> str:
    return {401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed"}.get(
        status, "HTTP error"
    )
