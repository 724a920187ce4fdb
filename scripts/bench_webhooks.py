"""Webhook delivery benchmark: how fast the worker empties the outbox to a local receiver,
on each backend, side by side with the same signed requests sent by a bare loop.

    python scripts/bench_webhooks.py --members 5000

Each member is registered, then marked paid (her member.registered and member.paid events,
and her inviter's member.tier_changed when she crosses a tier): every event goes to one
endpoint. The receiver runs in its own process (a threaded http.server that verifies every
signature with the standardwebhooks package, as a subscriber would) and answers 200.
Figures:
  dispatch     seconds to dispatch every event (one Delivery each)
  deliver      deliveries/s until the last is delivered, in order per member, with the
               worker's default concurrency (8)
  bare         the same bodies, signed and POSTed by a plain loop with the same concurrency
               and no store: the receiver's and the transport's ceiling; `ratio` is the
               worker's rate over it
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from bench_core import fresh_store, log
from standardwebhooks.webhooks import Webhook as Signer

from app.core.config import PROJECT_ROOT, Settings
from app.domain.members import NewMemberRow, PaidRow
from app.domain.tiers import DEFAULT_LADDER
from app.domain.webhooks import EVENT_TYPES, WebhookCreate
from app.services.webhook_delivery import WebhookWorker
from app.services.webhooks import create_webhook
from app.store.catalogue import Backend
from app.store.cypher_store import CypherStore

RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from standardwebhooks.webhooks import Webhook

secret, port = sys.argv[1], int(sys.argv[2])
verifier = Webhook(secret)

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        verifier.verify(body, {k.lower(): v for k, v in self.headers.items()})
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--backends", default="falkordb,neo4j")
    parser.add_argument("--neo4j-url", default=None, help="default: scripts/neo4j-local url")
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench-results")
    args = parser.parse_args()
    results: dict[str, Any] = {"members": args.members, "backends": {}}
    for name in args.backends.split(","):
        backend = Backend(name)
        with fresh_store(backend, args.neo4j_url) as store:
            results["backends"][name] = run_figures(store, args)
            log(f"{name}: {results['backends'][name]}")
    args.out.mkdir(exist_ok=True)
    out = args.out / f"webhooks-{args.members}.json"
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    print(f"written to {out}")


def run_figures(store: CypherStore, args: argparse.Namespace) -> dict[str, Any]:
    url = f"http://127.0.0.1:{args.port}/hooks"
    created, _ = create_webhook(
        store=store,
        create=WebhookCreate(id="bench", url=url, events=list(EVENT_TYPES)),
        now=int(time.time() * 1000),
    )
    receiver = subprocess.Popen(
        [sys.executable, "-c", RECEIVER, created.secret, str(args.port)],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_listening(url)
        write_events(store, args.members)
        settings = Settings().webhook_worker_settings()._replace(settle_ms=0)
        worker = WebhookWorker(store, settings)
        try:
            started = time.perf_counter()
            deliveries = worker.dispatch()
            dispatch_s = time.perf_counter() - started
            bodies = [d.body for d in store.pending_deliveries("bench", deliveries)]
            started = time.perf_counter()
            while worker.deliver()[0]:
                pass
            deliver_s = time.perf_counter() - started
        finally:
            worker.close()
        counts = store.delivery_counts("bench")
        assert counts == {"delivered": deliveries}, counts
        bare_s = bare_seconds(url, created.secret, bodies, settings.concurrency)
    finally:
        receiver.terminate()
        receiver.wait()
    worker_rate = deliveries / deliver_s
    bare_rate = len(bodies) / bare_s
    return {
        "events": deliveries,
        "dispatch_s": round(dispatch_s, 2),
        "deliver_s": round(deliver_s, 2),
        "deliveries_per_s": round(worker_rate, 1),
        "bare_per_s": round(bare_rate, 1),
        "ratio": round(worker_rate / bare_rate, 2),
    }


def write_events(store: CypherStore, members: int) -> None:
    """Members in chains of five under one root each (tiers cross at the root's fifth paid
    invite under the default ladder), registered then marked paid in batches."""
    started = time.perf_counter()
    rows = []
    for k in range(members):
        inviter = None if k % 50 == 0 else f"b{k - k % 50}"
        rows.append(NewMemberRow(id=f"b{k}", inviter_id=inviter, name=None, joined_at=1000,
                                 attributes_json=None))  # fmt: skip
    roots = [row for row in rows if row.inviter_id is None]
    store.register_members(roots, DEFAULT_LADDER)
    others = [row for row in rows if row.inviter_id is not None]
    for start in range(0, len(others), 500):
        store.register_members(others[start : start + 500], DEFAULT_LADDER)
    paid = [PaidRow(id=row.id, paid_at=2000 + k) for k, row in enumerate(rows)]
    for start in range(0, len(paid), 500):
        store.mark_paid(paid[start : start + 500], DEFAULT_LADDER)
    log(f"wrote {members} members' events in {time.perf_counter() - started:.1f}s")


def bare_seconds(url: str, secret: str, bodies: list[str], concurrency: int) -> float:
    signer = Signer(secret)
    with httpx.Client(timeout=10) as client:

        def send(body: str) -> None:
            now = datetime.now(tz=UTC)
            headers = {
                "content-type": "application/json",
                "webhook-id": "bare",
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": signer.sign("bare", now, body),
            }
            assert client.post(url, content=body.encode(), headers=headers).status_code == 200

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(send, bodies))
        return time.perf_counter() - started


def wait_listening(url: str) -> None:
    for _ in range(100):
        try:
            httpx.get(url)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"the receiver never listened on {url}")


if __name__ == "__main__":
    main()
