"""Genealogy tree views: a member and her downline, a bounded number of levels at a time."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/members", tags=["members"])
