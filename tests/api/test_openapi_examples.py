"""Every /v1 operation shows an example of each query and path parameter and of its JSON
body, and every body example is one the route's own body model accepts, so an example can
never drift from the model."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import routing
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from app.api.main import create_app
from tests.conftest import make_settings

APP = create_app(make_settings())
DOCUMENT = APP.openapi()
OPERATIONS = {
    f"{method.upper()} {path}": operation
    for path, item in DOCUMENT["paths"].items()
    if path.startswith("/v1/")
    for method, operation in item.items()
}


def _api_routes() -> list[tuple[str, APIRoute]]:
    """(path, route) of every operation. Since FastAPI 0.137 `app.routes` holds each
    included router as one node, which `iter_route_contexts` (0.137.2) opens."""
    contexts = getattr(routing, "iter_route_contexts", None)
    if contexts is None:
        return [(route.path, route) for route in APP.routes if isinstance(route, APIRoute)]
    return [
        (context.path, context.original_route)
        for context in contexts(APP.routes)
        if isinstance(context.original_route, APIRoute)
    ]


BODIES = {
    f"{method} {path}": route.body_field
    for path, route in _api_routes()
    if path.startswith("/v1/") and route.body_field is not None
    for method in route.methods or ()
}


def _has_example(place: dict[str, Any]) -> bool:
    if "$ref" in place:
        place = DOCUMENT["components"]["schemas"][place["$ref"].rsplit("/", 1)[-1]]
    return "example" in place or "examples" in place


def _json_body(operation: dict[str, Any]) -> dict[str, Any] | None:
    body: dict[str, Any] | None = (
        operation.get("requestBody", {}).get("content", {}).get("application/json")
    )
    return body


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_every_parameter_and_body_has_an_example(name: str) -> None:
    operation = OPERATIONS[name]
    missing = [
        f"{parameter['in']} parameter {parameter['name']}"
        for parameter in operation.get("parameters", [])
        if parameter["in"] in ("query", "path")
        and not (_has_example(parameter) or _has_example(parameter["schema"]))
    ]
    body = _json_body(operation)
    if body is not None and not (_has_example(body) or _has_example(body["schema"])):
        missing.append("the JSON body")
    assert not missing, f"{name} has no example for {', '.join(missing)}"


def test_every_body_is_found_on_its_route() -> None:
    with_body = {name for name, operation in OPERATIONS.items() if _json_body(operation)}
    assert with_body == set(BODIES)


@pytest.mark.parametrize("name", sorted(BODIES))
def test_body_examples_are_valid(name: str) -> None:
    # The body's type as the route validates it: a model, or `PaidMark | None`.
    annotation = BODIES[name].field_info.annotation
    assert annotation is not None
    body = TypeAdapter(annotation)
    examples = _json_body(OPERATIONS[name]) or {}
    for example in examples.get("examples", {}).values():
        body.validate_python(example["value"])
