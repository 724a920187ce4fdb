"""OpenTelemetry tracing, off unless REFGRAPH_OTEL_ENDPOINT names an OTLP/HTTP collector:
a span per request by the FastAPI instrumentation, with the request id as an attribute. The
packages are an optional extra (`pip install 'referral-graph[otel]'`), imported only when on."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter


def install_tracing(
    app: FastAPI, endpoint: str | None, exporter: SpanExporter | None = None
) -> Any:
    """Instruments `app`, sending spans to `endpoint` (OTLP over HTTP) or to `exporter`;
    the tracer provider, or None when neither is given."""
    if endpoint is None and exporter is None:
        return None
    try:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError as missing:
        raise RuntimeError(
            "REFGRAPH_OTEL_ENDPOINT is set but OpenTelemetry is not installed: "
            "pip install 'referral-graph[otel]'"
        ) from missing
    provider = TracerProvider(resource=Resource.create({"service.name": "refgraph"}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider)
    return provider


@functools.cache
def _trace_api() -> Any:
    try:
        from opentelemetry import trace
    except ImportError:  # looked for once: a failed import is slow to repeat per request
        return None
    return trace


def tag_current_span(request_id: str) -> None:
    """Puts the request id on the request's span (the instrumentation's middleware is
    outside ours, so its span is current here); nothing when OpenTelemetry is absent."""
    trace = _trace_api()
    if trace is None:
        return
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute("refgraph.request_id", request_id)
