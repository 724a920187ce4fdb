"""Growth analytics over members and orders: repurchase cohorts and sales concentration."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])
