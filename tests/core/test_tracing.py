"""Tracing on: the FastAPI instrumentation makes a span per request, named by the route
template, carrying the request id the answer carried; off, nothing is instrumented."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.api.main import create_app
from app.core.tracing import install_tracing
from app.store.catalogue import Backend
from app.store.cypher_store import CypherStore
from tests.conftest import auth, make_settings


# One backend: what is traced is the HTTP layer, the same over either.
@pytest.mark.parametrize("backend", [Backend.FALKORDB], indirect=True, ids=["falkordb"])
def test_each_request_is_a_span_with_its_request_id(store: CypherStore) -> None:
    spans = InMemorySpanExporter()
    app = create_app(make_settings(), store=store)
    provider = install_tracing(app, None, exporter=spans)
    try:
        with TestClient(app) as client:
            answer = client.get("/v1/members/nobody", headers=auth("admin"))
        assert answer.status_code == 404
        (server,) = [s for s in spans.get_finished_spans() if s.kind.name == "SERVER"]
        assert server.name == "GET /v1/members/{member_id}"
        assert server.attributes is not None
        assert server.attributes["refgraph.request_id"] == answer.headers["x-request-id"]
        assert server.attributes["http.status_code"] == 404
    finally:
        provider.shutdown()


def test_no_endpoint_no_tracing() -> None:
    assert install_tracing(create_app(make_settings()), None) is None
