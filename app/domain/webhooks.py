"""Webhooks: the events a subscriber may ask for, the endpoint she registers, the deliveries
and their attempts, the retry schedule and the body sent. No I/O here: the outbox is written
by the statements that cause its events (cypher/*.cypher), the worker is
app/services/webhook_delivery.py."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Annotated, Any, Literal, NamedTuple, get_args
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.domain.ledger import ExternalId
from app.domain.units import iso_moment

# In the order of their rank: events of one member written in one millisecond are sent in
# this order, which is the order one can cause the next (she registers, is moved, pays, her
# inviter's tier follows; an entry is created before it is released and paid out).
EventType = Literal[
    "member.registered",
    "member.sponsor_changed",
    "member.paid",
    "member.tier_changed",
    "ledger.entry_created",
    "ledger.entry_released",
    "payout.item_paid",
    "points.expiring",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
RANK = {event_type: rank for rank, event_type in enumerate(EVENT_TYPES)}
# The properties an event written inside a statement carries (the statement cannot write
# JSON); an event whose data the caller knew carries it as data_json instead.
DATA_PROPERTIES = (
    "entry_id",
    "order_id",
    "amount",
    "currency",
    "tier",
    "previous",
    "inviter_id",
    "previous_inviter_id",
    "change_id",
    "payout_id",
    "reference",
    "points",
    "expires_at",
)
DeliveryState = Literal["pending", "delivered", "failed"]
MAX_URL = 2000
MAX_DESCRIPTION = 500
# Attempts a delivery keeps in its log (the count goes on): a day of retries is ~20.
KEPT_ATTEMPTS = 30


def _http_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"{url[:80]!r} is not an http(s) URL with a host: the events are POSTed to it"
        )
    if parts.username or parts.password:
        raise ValueError("the URL must not carry a user or password: requests are signed")
    return url


WebhookUrl = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_URL), AfterValidator(_http_url)
]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ExternalId | None = Field(
        default=None,
        description="Your id for the endpoint, so that a retried create is answered, not "
        "doubled; one is made when left out",
    )
    url: WebhookUrl = Field(description="Where the events are POSTed (http or https)")
    events: list[EventType] = Field(
        min_length=1,
        max_length=len(EVENT_TYPES),
        description="The event types it receives",
    )
    description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION)] = ""


class Webhook(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str
    status: Literal["active", "disabled"]
    created_at: int


class WebhookCreated(Webhook):
    secret: str = Field(
        description="The signing secret (whsec_…): shown here and to a retry of this create, "
        "never again"
    )


class Attempt(BaseModel):
    at: int
    status_code: int | None = Field(description="The receiver's answer; null: no answer")
    error: str | None
    duration_ms: int


class Delivery(BaseModel):
    event_id: str = Field(description="Also the webhook-id header: the same on every attempt")
    webhook_id: str
    type: str
    member_id: str
    written_at: int
    state: DeliveryState
    attempts: int
    next_attempt_at: int | None
    log: list[Attempt]


class DeliveryPage(BaseModel):
    items: list[Delivery]
    next_cursor: str | None


class WebhookSummary(Webhook):
    pending: int
    delivered: int
    failed: int


class OutboxEvent(BaseModel):
    """One fact as the outbox holds it, written in the statement that made it."""

    id: str
    type: str
    member_id: str
    at: int
    written_at: int
    rank: int
    data: dict[str, Any]


def event_data(record: dict[str, Any]) -> dict[str, Any]:
    """The data of a stored event: the JSON its writer rendered, or its own properties."""
    if record.get("data_json"):
        data: dict[str, Any] = json.loads(record["data_json"])
        return data
    data = {"member_id": record["member_id"], "at": record["at"]}
    data.update({key: record[key] for key in DATA_PROPERTIES if record.get(key) is not None})
    return data


def event_body(event: OutboxEvent) -> str:
    """The body every attempt sends, byte for byte: Standard Webhooks' envelope (type,
    timestamp of the event, data), times in it as epoch ms as everywhere else."""
    envelope = {
        "id": event.id,
        "type": event.type,
        "timestamp": iso_moment(event.at),
        "data": event.data,
    }
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True)


class RetrySchedule(BaseModel):
    """Exponential backoff with jitter, for `give_up_after_ms` from the first attempt."""

    base_ms: int = Field(gt=0)
    cap_ms: int = Field(gt=0)
    give_up_after_ms: int = Field(ge=0)

    def next_attempt_at(
        self, *, failures: int, first_at: int, now: int, rng: random.Random
    ) -> int | None:
        """When to try again after `failures` failed attempts; None: give up (failed). The
        jitter (half to all of the delay) keeps a recovering receiver from a thundering herd."""
        delay = min(self.cap_ms, self.base_ms * 2 ** min(failures - 1, 40))
        at = now + int(delay * rng.uniform(0.5, 1.0))
        return None if at - first_at > self.give_up_after_ms else at


class WorkerSettings(NamedTuple):
    schedule: RetrySchedule
    timeout_s: float
    settle_ms: int
    concurrency: int
    # points.expiring: lots expiring within this window, looked for this often (and at the
    # worker's first round), only while an active endpoint asks for the event.
    expiring_within_ms: int = 30 * 86_400_000
    expiring_every_ms: int = 3_600_000
    # Events dispatched more than keep_ms ago go, with their deliveries, once none of those
    # is pending (0: kept for ever); looked for this often.
    keep_ms: int = 30 * 86_400_000
    prune_every_ms: int = 3_600_000


def notice_id(*parts: str) -> str:
    """The id of an event no change causes (the clock noticed it), the same each time the
    same thing is noticed, so it is written once; safe in a URL path."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"evt_{digest}"


def outbox_event(
    event_id: str, event_type: EventType, member_id: str, at: int, data: dict[str, Any]
) -> dict[str, Any]:
    """An event as a statement's $events parameter takes it (its writer knows its data)."""
    return {
        "id": event_id,
        "type": event_type,
        "member_id": member_id,
        "at": at,
        "rank": RANK[event_type],
        "data_json": json.dumps(data, separators=(",", ":"), sort_keys=True),
    }
