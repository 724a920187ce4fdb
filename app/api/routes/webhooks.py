"""Webhook endpoints (admin): register one (its signing secret shown once), list, read,
disable, page through its deliveries and send one again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response

from app.api.deps import Admins, NowDep, StoreDep
from app.api.problems import problem_responses
from app.domain.ledger import ExternalId
from app.domain.webhooks import (
    Delivery,
    DeliveryPage,
    DeliveryState,
    Webhook,
    WebhookCreate,
    WebhookCreated,
    WebhookSummary,
)
from app.services import webhooks as service

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], dependencies=[Admins])
WebhookIdPath = Annotated[ExternalId, Path(description="The endpoint's id", examples=["crm"])]
EventIdPath = Annotated[
    str,
    Path(
        max_length=100,
        description="The event's id (the webhook-id header it was sent with)",
        examples=["evt_3f9c2a71d04e4b0c9d5e6f7a8b9c0d1e"],
    ),
]


@router.post(
    "",
    status_code=201,
    responses={
        200: {"model": WebhookCreated, "description": "Registered already under this id (a retry)"},
        **problem_responses(401, 403, 409, 413, 422),
    },
)
def create_webhook(
    create: Annotated[
        WebhookCreate,
        Body(
            openapi_examples={
                "crm": {
                    "summary": "The CRM hears of tier changes and paid payouts",
                    "value": {
                        "id": "crm",
                        "url": "https://crm.example.com/hooks/refgraph",
                        "events": ["member.tier_changed", "payout.item_paid"],
                        "description": "CRM: tiers and payouts",
                    },
                }
            }
        ),
    ],
    store: StoreDep,
    now: NowDep,
    response: Response,
) -> WebhookCreated:
    """Registers an endpoint for the listed events. The answer carries its signing secret
    (Standard Webhooks, `whsec_…`), shown here only: keep it to verify each request's
    `webhook-signature`. The same id with the same terms again is a retry (200, the same
    secret); other terms under a taken id are a 409."""
    created, is_new = service.create_webhook(store=store, create=create, now=now)
    if not is_new:
        response.status_code = 200
    return created


@router.get("", responses=problem_responses(401, 403))
def list_webhooks(store: StoreDep) -> list[WebhookSummary]:
    """Every endpoint, oldest first, with its deliveries counted by state (no secrets)."""
    return service.list_webhooks(store=store)


@router.get("/{webhook_id}", responses=problem_responses(401, 403, 404, 422))
def get_webhook(webhook_id: WebhookIdPath, store: StoreDep) -> WebhookSummary:
    """One endpoint with its deliveries counted by state (no secret)."""
    return service.get_webhook(store=store, webhook_id=webhook_id)


@router.delete("/{webhook_id}", responses=problem_responses(401, 403, 404, 422))
def disable_webhook(webhook_id: WebhookIdPath, store: StoreDep, now: NowDep) -> Webhook:
    """Disables the endpoint: nothing more is dispatched or sent to it. Its deliveries stay
    listed. Disabling it again answers the same."""
    return service.disable_webhook(store=store, webhook_id=webhook_id, now=now)


@router.get("/{webhook_id}/deliveries", responses=problem_responses(401, 403, 404, 422))
def list_deliveries(
    webhook_id: WebhookIdPath,
    store: StoreDep,
    state: Annotated[
        DeliveryState | None,
        Query(description="Only deliveries in this state", examples=["failed"]),
    ] = None,
    cursor: Annotated[
        str | None,
        # The page after the delivery of event evt_3f9c… written at 2026-12-01T00:00:00Z.
        Query(
            description="next_cursor of the previous page",
            examples=["WzE3NjQ1NDcyMDAwMDAsImV2dF8zZjljIl0"],
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE, examples=[50])] = 100,
) -> DeliveryPage:
    """Its deliveries, newest first, each with its state, attempts and their answers. A
    delivery done (delivered or failed) goes with its event REFGRAPH_WEBHOOK_KEEP_DAYS after
    the event was dispatched."""
    return service.deliveries(
        store=store, webhook_id=webhook_id, state=state, cursor=cursor, limit=limit
    )


@router.post(
    "/{webhook_id}/deliveries/{event_id}/resend",
    responses=problem_responses(401, 403, 404, 422),
)
def resend_delivery(
    webhook_id: WebhookIdPath, event_id: EventIdPath, store: StoreDep, now: NowDep
) -> Delivery:
    """Sends a failed (or delivered) delivery again from now, with a new day of retries and
    the same webhook-id; her later events wait for it. A pending one is left as it is, so a
    retried call changes nothing more. A delivery pruned after the days kept is a 404."""
    return service.resend(store=store, webhook_id=webhook_id, event_id=event_id, now=now)
