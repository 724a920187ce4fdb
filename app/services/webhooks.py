"""Webhook endpoints as the admin manages them: register (the signing secret shown once),
list with their deliveries counted, disable, page through deliveries, send one again."""

from __future__ import annotations

import base64
import secrets

from app.core.errors import Conflict, NotFound
from app.domain.webhooks import (
    Delivery,
    DeliveryPage,
    DeliveryState,
    Webhook,
    WebhookCreate,
    WebhookCreated,
    WebhookSummary,
)
from app.services.cursors import decode_position, encode_position
from app.store.port import GraphStore, StoredWebhook

MAX_PAGE = 500
# Past any written_at and any event id: the first page of a newest-first listing.
_NEWEST = (2**62, "\uffff")


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def create_webhook(
    *, store: GraphStore, create: WebhookCreate, now: int
) -> tuple[WebhookCreated, bool]:
    """Registers the endpoint; the same id with the same terms again is a retry, answered
    with what the first call answered (the secret too: it may never have arrived)."""
    wanted = StoredWebhook(
        id=create.id or f"wh_{secrets.token_hex(8)}",
        url=create.url,
        events=sorted(set(create.events)),
        description=create.description,
        status="active",
        created_at=now,
        secret=new_secret(),
    )
    stored, created = store.put_webhook(wanted)
    if not created:
        terms = ("url", "events", "description")
        differing = [term for term in terms if getattr(stored, term) != getattr(wanted, term)]
        if differing:
            raise Conflict(
                f"webhook {stored.id!r} exists with another {', '.join(differing)}",
                webhook_id=stored.id,
            )
    return WebhookCreated(**_public(stored).model_dump(), secret=stored.secret), created


def list_webhooks(*, store: GraphStore) -> list[WebhookSummary]:
    return [_summary(store, webhook) for webhook in store.webhooks()]


def get_webhook(*, store: GraphStore, webhook_id: str) -> WebhookSummary:
    return _summary(store, _stored(store, webhook_id))


def disable_webhook(*, store: GraphStore, webhook_id: str, now: int) -> Webhook:
    disabled = store.disable_webhook(webhook_id, now)
    if disabled is None:
        raise NotFound(f"no webhook {webhook_id!r}", webhook_id=webhook_id)
    return _public(disabled)


def deliveries(
    *,
    store: GraphStore,
    webhook_id: str,
    state: DeliveryState | None,
    cursor: str | None,
    limit: int,
) -> DeliveryPage:
    _stored(store, webhook_id)
    before = decode_position(cursor) if cursor else _NEWEST
    items = store.deliveries_page(webhook_id, state, before, limit + 1)
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        next_cursor = encode_position(items[-1].written_at, items[-1].event_id)
    return DeliveryPage(items=items, next_cursor=next_cursor)


def resend(*, store: GraphStore, webhook_id: str, event_id: str, now: int) -> Delivery:
    """Sends a delivery again, failed or delivered (a receiver that lost it), from now with a
    new day of retries; a pending one is on its way already and is left as it is."""
    _stored(store, webhook_id)
    answer = store.resend_delivery(webhook_id, event_id, now)
    if answer is None:
        raise NotFound(
            f"webhook {webhook_id!r} has no delivery of event {event_id!r}",
            webhook_id=webhook_id,
            event_id=event_id,
        )
    return answer[0]


def _stored(store: GraphStore, webhook_id: str) -> StoredWebhook:
    found = [webhook for webhook in store.webhooks() if webhook.id == webhook_id]
    if not found:
        raise NotFound(f"no webhook {webhook_id!r}", webhook_id=webhook_id)
    return found[0]


def _public(webhook: StoredWebhook) -> Webhook:
    fields = webhook._asdict()
    del fields["secret"]
    return Webhook(**fields)


def _summary(store: GraphStore, webhook: StoredWebhook) -> WebhookSummary:
    counts = store.delivery_counts(webhook.id)
    return WebhookSummary(
        **_public(webhook).model_dump(),
        pending=counts.get("pending", 0),
        delivered=counts.get("delivered", 0),
        failed=counts.get("failed", 0),
    )
