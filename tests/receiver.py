"""A webhook receiver on 127.0.0.1, as a subscriber runs one: it verifies every request's
Standard Webhooks signature with the endpoint's secret and keeps what arrived, in order. It
can answer 500 for a while, or hold a request before answering."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Arrival:
    webhook_id: str
    body: dict[str, Any]
    answered: int


@dataclass
class Receiver:
    url: str
    secret: str | None = None
    # Requests answered 500 before the first 2xx.
    fail_first: int = 0
    # Set: each request waits for it before answering (a slow receiver).
    hold: threading.Event | None = None
    arrivals: list[Arrival] = field(default_factory=list)
    # Requests that came in (verified), answered or not yet.
    received: int = 0
    forged: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    def delivered(self) -> list[Arrival]:
        with self.lock:
            return [arrival for arrival in self.arrivals if arrival.answered == 200]

    def wait_for(self, count: int, timeout: float) -> list[Arrival]:
        """Waits until `count` requests were answered 200; what was delivered."""
        with self.arrived:
            self.arrived.wait_for(
                lambda: sum(a.answered == 200 for a in self.arrivals) >= count, timeout
            )
        return self.delivered()


@contextmanager
def receiving(secret: str | None = None) -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                assert receiver.secret is not None, "the test set no secret"
                Webhook(receiver.secret).verify(body, headers)
            except (WebhookVerificationError, AssertionError) as error:
                with receiver.lock:
                    receiver.forged.append(f"{headers.get('webhook-id')}: {error}")
                self.send_response(401)
                self.end_headers()
                return
            with receiver.arrived:
                receiver.received += 1
                receiver.arrived.notify_all()
            if receiver.hold is not None:
                receiver.hold.wait(timeout=60)
            with receiver.arrived:
                failing = receiver.fail_first > 0
                receiver.fail_first -= 1 if failing else 0
                answer = 500 if failing else 200
                receiver.arrivals.append(Arrival(headers["webhook-id"], json.loads(body), answer))
                receiver.arrived.notify_all()
            try:
                self.send_response(answer)
                self.end_headers()
                self.wfile.write(b"busy" if failing else b"ok")
            except OSError:  # the sender is gone (killed mid-request): it will send again
                pass

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    receiver.secret = secret
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        if receiver.hold is not None:
            receiver.hold.set()
        server.shutdown()
        server.server_close()
