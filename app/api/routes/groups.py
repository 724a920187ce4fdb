"""Circles: groups members belong to (topic, store, region)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/groups", tags=["groups"])
