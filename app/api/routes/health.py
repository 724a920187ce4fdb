"""Liveness and readiness, open to load balancers (no key)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from app.api.deps import StoreDep
from app.api.problems import problem_responses

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


@router.get("/healthz", responses=problem_responses())
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    responses={
        **problem_responses(),
        503: {"description": "The graph store does not answer"},
    },
)
def readyz(store: StoreDep) -> Health:
    store.ping()
    return Health(status="ready")
