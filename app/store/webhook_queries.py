"""Webhook endpoints, the outbox's dispatch and the deliveries, on the port
(app/store/port.py), written once over named queries. The events themselves are written by
the statements that cause them (app/store/outbox.py)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from app.domain.webhooks import (
    KEPT_ATTEMPTS,
    Attempt,
    Delivery,
    DeliveryState,
    OutboxEvent,
    event_data,
)
from app.store.outbox import outbox_params
from app.store.port import Backlog, Dispatch, PendingDelivery, StoredWebhook

Record = dict[str, Any]


def delivery_id(event_id: str, webhook_id: str) -> str:
    return f"{event_id}/{webhook_id}"


def _webhook(record: Record) -> StoredWebhook:
    return StoredWebhook(**{field: record[field] for field in StoredWebhook._fields})


def _delivery(record: Record) -> Delivery:
    log = [
        Attempt(at=at, status_code=status or None, error=error or None, duration_ms=ms)
        for at, status, error, ms in zip(
            record.get("log_at") or [],
            record.get("log_status") or [],
            record.get("log_error") or [],
            record.get("log_ms") or [],
            strict=True,
        )
    ]
    return Delivery(
        event_id=record["event_id"],
        webhook_id=record["webhook_id"],
        type=record["type"],
        member_id=record["member_id"],
        written_at=record["written_at"],
        state=record["state"],
        attempts=record["attempts"],
        next_attempt_at=record["next_attempt_at"] if record["state"] == "pending" else None,
        log=log,
    )


class WebhookQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    def put_webhook(self, webhook: StoredWebhook) -> tuple[StoredWebhook, bool]:
        row = self._write("webhook_put", {"webhook": webhook._asdict()})[0]
        return _webhook(row["webhook"]), bool(row["created"])

    def webhooks(self) -> list[StoredWebhook]:
        return [_webhook(row["webhook"]) for row in self._read("webhooks_all", {})]

    def disable_webhook(self, webhook_id: str, now: int) -> StoredWebhook | None:
        rows = self._write("webhook_disable", {"id": webhook_id, "now": now})
        return _webhook(rows[0]["webhook"]) if rows else None

    def delivery_counts(self, webhook_id: str) -> dict[str, int]:
        rows = self._read("webhook_delivery_counts", {"id": webhook_id})
        return {row["state"]: int(row["deliveries"]) for row in rows}

    def new_outbox_events(self, settled_before: int, limit: int) -> list[OutboxEvent]:
        params = {"settled_before": settled_before, "limit": limit}
        return [
            OutboxEvent(
                id=row["event"]["id"],
                type=row["event"]["type"],
                member_id=row["event"]["member_id"],
                at=row["event"]["at"],
                written_at=row["event"]["written_at"],
                rank=row["event"]["rank"],
                data=event_data(row["event"]),
            )
            for row in self._read("outbox_new_events", params)
        ]

    def operations_backlog(self, now: int) -> Backlog:
        row = self._read("operations_backlog", {"now": now})[0]
        return Backlog(**{field: int(row[field]) for field in Backlog._fields})

    def put_outbox_events(self, events: Sequence[Record]) -> int:
        params = outbox_params(events=events)
        return int(self._write("outbox_put_events", params)[0]["written"]) if events else 0

    def dispatch_events(self, dispatches: Sequence[Dispatch], now: int) -> int:
        events = [
            {
                "id": dispatch.event_id,
                "body": dispatch.body,
                "deliveries": [
                    {"id": delivery_id(dispatch.event_id, webhook), "webhook_id": webhook}
                    for webhook in dispatch.webhook_ids
                ],
            }
            for dispatch in dispatches
        ]
        rows = self._write("outbox_dispatch", {"events": events, "now": now})
        return int(rows[0]["deliveries"]) if rows else 0

    def pending_deliveries(self, webhook_id: str, limit: int) -> list[PendingDelivery]:
        rows = self._read("deliveries_pending", {"webhook_id": webhook_id, "limit": limit})
        return [
            PendingDelivery(**{field: row["delivery"][field] for field in PendingDelivery._fields})
            for row in rows
        ]

    def record_attempt(
        self,
        delivery: PendingDelivery,
        attempt: Attempt,
        state: DeliveryState,
        next_at: int | None,
    ) -> bool:
        params = {
            "id": delivery.id,
            "attempts": delivery.attempts,
            "attempt": attempt.model_dump(),
            "state": state,
            "next_at": next_at,
            "kept": KEPT_ATTEMPTS,
        }
        return bool(self._write("delivery_attempt", params))

    def deliveries_page(
        self, webhook_id: str, state: DeliveryState | None, before: tuple[int, str], limit: int
    ) -> list[Delivery]:
        params = {
            "webhook_id": webhook_id,
            "state": state,
            "before_at": before[0],
            "before_id": before[1],
            "limit": limit,
        }
        return [_delivery(row["delivery"]) for row in self._read("deliveries_page", params)]

    def resend_delivery(
        self, webhook_id: str, event_id: str, now: int
    ) -> tuple[Delivery, bool] | None:
        params = {"id": delivery_id(event_id, webhook_id), "webhook_id": webhook_id, "now": now}
        rows = self._write("delivery_resend", params)
        return (_delivery(rows[0]["delivery"]), bool(rows[0]["resent"])) if rows else None

    def prune_outbox(self, dispatched_before: int, limit: int) -> int:
        rows = self._write("outbox_prune", {"before": dispatched_before, "limit": limit})
        return int(rows[0]["pruned"]) if rows else 0
