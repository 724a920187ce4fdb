"""The app factory. The store is opened by the lifespan, or handed in (tests, benchmarks)."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from prometheus_client import start_http_server

from app.api.middleware import ReplicaReads, RequestContext, RequestGuard
from app.api.problems import install_problem_handlers
from app.api.rate_limiter import RateLimiter
from app.api.routes import (
    analytics,
    compliance,
    connectors,
    groups,
    health,
    jobs,
    leaderboards,
    ledger,
    members,
    metrics,
    orders,
    paths,
    payouts,
    plans,
    points,
    referral_codes,
    risk,
    simulations,
    tree,
    webhooks,
)
from app.core.config import Settings
from app.core.metrics import REGISTRY, ScrapeGauges
from app.core.tracing import install_tracing
from app.services.connectors import connector_schedule
from app.services.leaderboards import BoardCache
from app.services.metrics import backlog_gauges
from app.services.orders import hold_releaser
from app.services.repairs import run_startup_repairs
from app.services.signals import signal_schedule
from app.services.webhook_delivery import WebhookService, WebhookWorker
from app.store.coalescing import CoalescingStore
from app.store.cypher_store import CypherStore
from app.store.factory import open_store, supervise
from app.web.docs import install_docs
from app.web.router import install_web

log = logging.getLogger("refgraph.api")


def operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def _repair_at_start(store: CypherStore, settings: Settings) -> None:
    """Finishes what a crash left half-done (also in an engine just adopted or replayed)
    before the first request. A failure is logged, not fatal: the storefront must come up,
    and `refgraph verify` runs the same repairs."""
    try:
        run_startup_repairs(store=store, ladder=settings.tier_ladder, now=int(time.time() * 1000))
    except Exception:
        log.exception("the repairs at start failed; `refgraph verify` runs them again")


def create_app(
    settings: Settings, store: CypherStore | None = None, *, owns_store: bool = False
) -> FastAPI:
    """`store`: use this one instead of opening one; `owns_store`: close it at shutdown (the
    server's own engine must stop there: uvicorn re-raises SIGTERM once it has shut down, so
    code after `uvicorn.run` never runs on a signal). Writes are group-committed
    (app/store/coalescing.py)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        inner = store if store is not None else open_store(settings, exclusive=True)
        _repair_at_start(inner, settings)
        # An embedded engine that dies is started again under the running service, which
        # then repairs what the crash left half-done, as at a start.
        supervisor = supervise(
            inner, settings, on_recovered=lambda: _repair_at_start(inner, settings)
        )
        app.state.store = writes_grouped = CoalescingStore(inner)
        releaser = hold_releaser(inner, settings.release_interval_s)
        scheduled_runs = connector_schedule(inner, settings.tier_ladder, settings.connectors_every)
        scheduled_signals = signal_schedule(inner, settings.signal_rules, settings.signals_every)
        webhooks = WebhookService(
            WebhookWorker(inner, settings.webhook_worker_settings()), settings.webhook_interval_s
        )
        gauges = ScrapeGauges(lambda: backlog_gauges(store=inner, now=int(time.time() * 1000)))
        REGISTRY.register(gauges)
        metrics_server = (
            start_http_server(settings.metrics_port, addr="127.0.0.1", registry=REGISTRY)[0]
            if settings.metrics_port
            else None
        )
        try:
            yield
        finally:
            supervisor.stop()  # first: no restart of an engine that is being stopped
            releaser.stop()
            scheduled_runs.stop()
            scheduled_signals.stop()
            webhooks.stop()
            REGISTRY.unregister(gauges)
            if metrics_server is not None:
                metrics_server.shutdown()
                metrics_server.server_close()
            writes_grouped.stop()
            if store is None or owns_store:
                inner.close()

    app = FastAPI(
        title="Referral Graph",
        version="0.1.0",
        description="A community's referral network: members, invitations, downline counts "
        "and tiers. Every /v1 route needs `Authorization: Bearer <key>`.",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.state.board_cache = BoardCache(settings.leaderboard_ttl_s)
    install_problem_handlers(app)
    # The rate limits' buckets, one per key and route class (a test sets its clock).
    app.state.rate_limiter = limiter = RateLimiter(settings.rate_limits)
    # Keys in URLs, the key, its rate limit and the body size are checked before anything
    # reads the body.
    app.add_middleware(RequestGuard, settings=settings, limiter=limiter)
    if settings.read_url:
        app.add_middleware(ReplicaReads)
    # Added last, so outermost: the guard's refusals get an id and are counted too.
    app.add_middleware(RequestContext)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(members.router)
    app.include_router(orders.router)
    app.include_router(plans.router)
    app.include_router(ledger.router)
    app.include_router(compliance.router)
    app.include_router(tree.router)
    app.include_router(groups.router)
    app.include_router(analytics.router)
    app.include_router(simulations.router)
    app.include_router(jobs.router)
    app.include_router(connectors.router)
    app.include_router(leaderboards.router)
    app.include_router(paths.router)
    app.include_router(referral_codes.router)
    app.include_router(payouts.router)
    app.include_router(points.router)
    app.include_router(webhooks.router)
    app.include_router(risk.router)
    install_web(app)
    install_docs(app)
    install_tracing(app, settings.otel_endpoint)
    return app
