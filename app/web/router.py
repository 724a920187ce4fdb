"""Serves the growth team's pages: `/` is the page, `/ui/static/...` its modules and styles,
`/ui/context` what the page needs to know about the caller. The files ship inside the
package (pyproject package-data), so an installed service needs no front-end server and the
browser fetches nothing from the internet; the page's CSP holds it to that."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from app.api.deps import (
    AUDITOR_ROLES,
    EARNINGS_READER_ROLES,
    GROWTH_ROLES,
    MEMBER_READER_ROLES,
    NETWORK_READER_ROLES,
    POINTS_READER_ROLES,
    LadderDep,
    RoleDep,
)
from app.api.problems import problem_responses
from app.domain.tiers import TierStep

STATIC = Path(__file__).resolve().parent / "static"
# 'self' only: a page that could load a script or send data elsewhere is what this forbids.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# Browsers refuse module scripts served under any other type, so it is not left to the
# platform's MIME table (which differs between systems and may not know .mjs).
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
}
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

router = APIRouter(tags=["web"])


# Each page view and action, and the roles whose routes it needs (app/api/deps.py).
VIEW_ROLES = {
    "dashboard": NETWORK_READER_ROLES,
    "search": MEMBER_READER_ROLES,
    "tree": NETWORK_READER_ROLES,
    "chart": NETWORK_READER_ROLES,
    "leaderboards": MEMBER_READER_ROLES,
    "connectors": NETWORK_READER_ROLES,
    "tiers": GROWTH_ROLES,
    "cohorts": NETWORK_READER_ROLES,
    "payouts": AUDITOR_ROLES,
    "statement": EARNINGS_READER_ROLES,
    "webhooks": ("admin",),
}
# `read_points`: the member card shows her points (a role without it is not sent to a 403).
ACTION_ROLES = {
    "run_connectors": GROWTH_ROLES,
    "manage_payouts": ("admin",),
    "read_points": POINTS_READER_ROLES,
}


class UiContext(BaseModel):
    role: str = Field(description="The role of the key presented")
    tier_ladder: list[TierStep] = Field(description="The honour-tier ladder in force")
    views: list[str] = Field(description="The page's views this role may open, in menu order")
    actions: list[str] = Field(description="The actions the pages may offer this role")


class StaticAssets(StaticFiles):
    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        media_type = MEDIA_TYPES.get(Path(full_path).suffix)
        if media_type is not None:
            response.headers["Content-Type"] = media_type
        # Revalidated on every load (a 304 via the ETag), so a page after an upgrade never
        # mixes old and new modules.
        response.headers["Cache-Control"] = "no-cache"
        response.headers.update(SECURITY_HEADERS)
        # Every file, not only `/`: /ui/static/index.html is the same page, and was served
        # without the policy (so it could be framed, or run what the policy forbids).
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(
        STATIC / "index.html",
        media_type=MEDIA_TYPES[".html"],
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Cache-Control": "no-cache",
            **SECURITY_HEADERS,
        },
    )


@router.get("/ui/context", responses=problem_responses(401))
async def ui_context(role: RoleDep, ladder: LadderDep) -> UiContext:
    """Any valid key: its role, the views and actions the page may offer it (no other), and
    the tier ladder in force (the what-if form starts from it; no /v1 route exposes it)."""
    return UiContext(
        role=role,
        tier_ladder=list(ladder.steps),
        views=[view for view, roles in VIEW_ROLES.items() if role in roles],
        actions=[action for action, roles in ACTION_ROLES.items() if role in roles],
    )


def install_web(app: FastAPI) -> None:
    """The routes, and the static files (a mount: routers cannot carry one)."""
    app.include_router(router)
    app.mount("/ui/static", StaticAssets(directory=STATIC), name="ui-static")
