"""The API's interactive docs, served whole by the service: Swagger UI at `/docs`. FastAPI's
own pages load their scripts from a CDN, so they are blank without internet and break under
the pages' Content-Security-Policy. Here the scripts and styles come from the
`fastapi-offline` package (a dependency, so they are in every install) through a mount on
the service, and the page carries no inline script: Swagger UI starts from a file of ours,
so the pages' 'self'-only policy holds for the docs too.

No ReDoc: its bundle always loads its logo from cdn.redoc.ly and needs inline styles, so
/redoc is not served (FastAPI's CDN page is removed with the rest)."""

from __future__ import annotations

import json
from html import escape
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import swagger_ui_default_parameters
from fastapi.responses import HTMLResponse
from starlette.routing import BaseRoute

from app.web.router import CONTENT_SECURITY_POLICY, MEDIA_TYPES, SECURITY_HEADERS, StaticAssets

ASSETS_PATH = "/docs/assets"
# Swagger UI sends the document's address to validator.swagger.io for a badge unless told not
# to: the docs must not call another host.
SWAGGER_PARAMETERS = {**swagger_ui_default_parameters, "validatorUrl": None}

router = APIRouter(include_in_schema=False)


def _assets() -> Path:
    folder = files("fastapi_offline").joinpath("static")
    if not isinstance(folder, Path) or not folder.is_dir():
        raise RuntimeError(f"the docs assets of fastapi-offline are not a folder: {folder!r}")
    return folder


def _root(request: Request) -> str:
    """The app's root path: a service behind a proxy at /refgraph serves /refgraph/docs."""
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    root = _root(request)
    assets = root + ASSETS_PATH
    openapi = root + (request.app.openapi_url or "/openapi.json")
    parameters = {**SWAGGER_PARAMETERS, **(request.app.swagger_ui_parameters or {})}
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(request.app.title)} - API docs</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" href="{assets}/favicon.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(openapi)}"
     data-parameters="{escape(json.dumps(parameters))}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{root}/ui/static/docs/swagger-init.js"></script>
</body>
</html>
"""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "Cache-Control": "no-cache",
        **SECURITY_HEADERS,
    }
    return HTMLResponse(html, headers=headers, media_type=MEDIA_TYPES[".html"])


def install_docs(app: FastAPI) -> None:
    """Replaces FastAPI's CDN-loading /docs with the self-contained one, and drops its /redoc
    and OAuth2 redirect page (no route here uses OAuth2)."""
    framework = {app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url} - {None}
    kept: list[BaseRoute] = [
        route for route in app.router.routes if getattr(route, "path", None) not in framework
    ]
    app.router.routes[:] = kept
    app.include_router(router)
    app.mount(ASSETS_PATH, StaticAssets(directory=_assets()), name="docs-assets")
