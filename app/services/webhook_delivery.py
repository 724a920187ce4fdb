"""The webhook worker: dispatches the outbox's new events to the endpoints that asked for
them, then sends each endpoint's due deliveries, signed as Standard Webhooks says, at least
once and in order per member, retrying with backoff and jitter until it gives up (failed).

A delivery's answer is written only after the receiver answered: a worker killed in between
sends it again after its restart, with the same webhook-id, so a receiver drops duplicates by
that id."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import NamedTuple

import httpx
from standardwebhooks.webhooks import Webhook as Signer

from app.domain.webhooks import Attempt, DeliveryState, WorkerSettings, event_body
from app.services.periodic import Periodic
from app.services.points import notice_expiring_points
from app.store.port import Dispatch, GraphStore, PendingDelivery, StoredWebhook

log = logging.getLogger("refgraph.webhooks")
DISPATCH_BATCH = 500
PENDING_WINDOW = 2000
# Events deleted a statement; at most PRUNE_PAGES statements a round, so a first prune of a
# long-kept outbox does not hold deliveries back (the next round goes on with it).
PRUNE_BATCH = 1000
PRUNE_PAGES = 10
MAX_ERROR = 300
USER_AGENT = "refgraph-webhooks/1"


class Round(NamedTuple):
    dispatched: int
    attempted: int
    delivered: int


def _now_ms() -> int:
    return int(time.time() * 1000)


class WebhookWorker:
    """One round at a time (`run_round`), from one thread or from the periodic loop."""

    def __init__(
        self,
        store: GraphStore,
        settings: WorkerSettings,
        *,
        clock: Callable[[], int] = _now_ms,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._client = httpx.Client(
            timeout=settings.timeout_s,
            follow_redirects=False,
            headers={"user-agent": USER_AGENT},
        )
        self._pool = ThreadPoolExecutor(settings.concurrency, thread_name_prefix="webhook")
        self._round = threading.Lock()
        self._expiry_looked_at: int | None = None
        self._pruned_all_at: int | None = None

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._client.close()

    def run_round(self) -> Round:
        with self._round:
            self.notice_expiring_points()
            dispatched = self.dispatch()
            attempted, delivered = self.deliver()
            self.prune()
            return Round(dispatched, attempted, delivered)

    def run_until_idle(self, budget_s: float) -> None:
        """Rounds back to back while they find work, for up to `budget_s`."""
        deadline = time.monotonic() + budget_s
        while time.monotonic() < deadline:
            done = self.run_round()
            if done.dispatched == 0 and done.attempted == 0:
                return

    def notice_expiring_points(self, *, force: bool = False) -> int:
        """Writes the points.expiring events due (app/services/points.py) when an active
        endpoint asks for them and the last look is `expiring_every_ms` old; how many."""
        now = self._clock()
        last = self._expiry_looked_at
        if not force and last is not None and now - last < self._settings.expiring_every_ms:
            return 0
        self._expiry_looked_at = now
        wanted = any(
            hook.status == "active" and "points.expiring" in hook.events
            for hook in self._store.webhooks()
        )
        if not wanted:
            return 0
        return notice_expiring_points(
            store=self._store, now=now, within_ms=self._settings.expiring_within_ms
        )

    def prune(self) -> int:
        """Deletes the events dispatched more than `keep_ms` ago whose deliveries are all
        done, with those deliveries, when the last prune that got to the end is
        `prune_every_ms` old; how many events went. A FalkorDB write costs more the more
        nodes the graph holds, so an outbox kept for ever would slow every write down."""
        keep_ms = self._settings.keep_ms
        now = self._clock()
        last = self._pruned_all_at
        if keep_ms <= 0 or (last is not None and now - last < self._settings.prune_every_ms):
            return 0
        pruned = 0
        for _ in range(PRUNE_PAGES):
            page = self._store.prune_outbox(now - keep_ms, PRUNE_BATCH)
            pruned += page
            if page < PRUNE_BATCH:
                self._pruned_all_at = now
                break
        if pruned:
            log.info("pruned %d webhook events dispatched before %d", pruned, now - keep_ms)
        return pruned

    def dispatch(self) -> int:
        """Dispatches the settled new events; the deliveries made."""
        made = 0
        while True:
            now = self._clock()
            events = self._store.new_outbox_events(now - self._settings.settle_ms, DISPATCH_BATCH)
            if not events:
                return made
            active = [hook for hook in self._store.webhooks() if hook.status == "active"]
            dispatches = [
                Dispatch(
                    event.id,
                    event_body(event),
                    [hook.id for hook in active if event.type in hook.events],
                )
                for event in events
            ]
            made += self._store.dispatch_events(dispatches, now)
            if len(events) < DISPATCH_BATCH:
                return made

    def deliver(self) -> tuple[int, int]:
        """Sends every active endpoint's due deliveries: per endpoint and member, her first
        pending one and, while they succeed, the next ones; all endpoints' members side by
        side, so a slow endpoint holds up only its own members. (attempts, delivered)."""
        work: list[tuple[StoredWebhook, list[PendingDelivery]]] = []
        for hook in self._store.webhooks():
            if hook.status != "active":
                continue
            queues: dict[str, list[PendingDelivery]] = {}
            for pending in self._store.pending_deliveries(hook.id, PENDING_WINDOW):
                queues.setdefault(pending.member_id, []).append(pending)
            now = self._clock()
            work += [(hook, queue) for queue in queues.values() if queue[0].next_attempt_at <= now]
        attempted = delivered = 0
        for tried, succeeded in self._pool.map(lambda job: self._send_queue(*job), work):
            attempted += tried
            delivered += succeeded
        return attempted, delivered

    def _send_queue(self, hook: StoredWebhook, queue: list[PendingDelivery]) -> tuple[int, int]:
        tried = succeeded = 0
        for pending in queue:
            if pending.next_attempt_at > self._clock():
                break
            ok = self._send(hook, pending)
            tried += 1
            if not ok:
                break
            succeeded += 1
        return tried, succeeded

    def _send(self, hook: StoredWebhook, pending: PendingDelivery) -> bool:
        started = self._clock()
        # The wall clock, whatever clock schedules the work: a receiver refuses a signature
        # whose timestamp is more than minutes off its own.
        sent_at = datetime.now(tz=UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": pending.event_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": Signer(hook.secret).sign(pending.event_id, sent_at, pending.body),
        }
        status: int | None = None
        error: str | None = None
        try:
            response = self._client.post(hook.url, content=pending.body.encode(), headers=headers)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}: {response.text[:MAX_ERROR]}"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {str(failure)[:MAX_ERROR]}"
        finished = self._clock()
        attempt = Attempt(
            at=started, status_code=status, error=error, duration_ms=finished - started
        )
        if error is None:
            self._store.record_attempt(pending, attempt, "delivered", None)
            return True
        with self._rng_lock:
            next_at = self._settings.schedule.next_attempt_at(
                failures=pending.attempts + 1,
                first_at=pending.retry_from,
                now=finished,
                rng=self._rng,
            )
        state: DeliveryState = "pending" if next_at is not None else "failed"
        self._store.record_attempt(pending, attempt, state, next_at)
        if next_at is None:
            log.warning("webhook %s gave up on event %s: %s", hook.id, pending.event_id, error)
        return False


class WebhookService:
    """The worker on its own thread, stopped with the server."""

    def __init__(self, worker: WebhookWorker, interval_s: float) -> None:
        self._worker = worker
        self._periodic = Periodic(
            "refgraph-webhooks", interval_s, lambda: worker.run_until_idle(budget_s=5.0)
        )

    def stop(self) -> None:
        self._periodic.stop()
        self._worker.close()
