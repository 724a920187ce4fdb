"""The service's metrics in Prometheus' text format, for the admin key on the API port (and
without a key on REFGRAPH_METRICS_PORT, bound to 127.0.0.1: app/api/main.py)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.api.deps import Admins
from app.api.problems import problem_responses
from app.core.metrics import REGISTRY

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    dependencies=[Admins],
    response_class=Response,
    responses={
        200: {
            "content": {CONTENT_TYPE_LATEST: {"example": "refgraph_engine_up 1.0\n"}},
            "description": "Prometheus text format",
        },
        **problem_responses(401, 403, limited=False),
    },
)
def metrics() -> Response:
    """Requests and their latency per route template and status, store queries per named
    query and backend, group-commit batch sizes, job runs and durations, the releaser's and
    the webhook worker's backlogs, and whether the graph store answers."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
