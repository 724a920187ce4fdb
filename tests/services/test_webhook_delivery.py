"""The webhook worker inside the running service, as an operator runs it: `refgraph serve` in
its own process, a receiver on 127.0.0.1 that verifies every signature, and a kill -9 of the
service while its requests are in flight. Every event still arrives; the ones it was sending
arrive again after the restart, with the same webhook-id."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.store.catalogue import Backend, QueryCatalogue
from app.store.neo4j_store import Neo4jStore
from tests.engines import ROOT
from tests.receiver import Receiver, receiving
from tests.test_cli import free_port, wait_ready

KEY = "kill-test-admin-key"
ADMIN = {"Authorization": f"Bearer {KEY}"}
MEMBERS = [f"m{k}" for k in range(6)]


@pytest.fixture(params=[Backend.FALKORDB, Backend.NEO4J], ids=["falkordb", "neo4j"])
def graph_url(request: pytest.FixtureRequest, data_dir: Path) -> str:
    if request.param is Backend.FALKORDB:
        return f"embedded:{data_dir}"
    url: str = request.getfixturevalue("neo4j_bolt_url")
    emptied = Neo4jStore.connect(url, None, None, QueryCatalogue(ROOT / "cypher", Backend.NEO4J))
    emptied.drop_everything()
    emptied.close()
    return url


def serve(graph_url: str, port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "REFGRAPH_GRAPH_URL": graph_url,
        "REFGRAPH_API_KEYS": f"{KEY}=admin",
        "REFGRAPH_WEBHOOK_INTERVAL_S": "0.05",
        "REFGRAPH_WEBHOOK_SETTLE_MS": "0",
        "REFGRAPH_WEBHOOK_RETRY_BASE_S": "0.05",
        "REFGRAPH_WEBHOOK_RETRY_CAP_S": "0.2",
        "REFGRAPH_RELEASE_INTERVAL_S": "0",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env, cwd=ROOT, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as listening:
        listening.hold = threading.Event()
        yield listening


def test_a_service_killed_mid_delivery_sends_every_event_after_its_restart(
    graph_url: str, receiver: Receiver
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(graph_url, port)
    try:
        wait_ready(base)
        hook = {"id": "all", "url": receiver.url, "events": ["member.registered"]}
        created = httpx.post(f"{base}/v1/webhooks", json=hook, headers=ADMIN)
        assert created.status_code == 201, created.text
        receiver.secret = created.json()["secret"]
        for member in MEMBERS:
            body = {"id": member, "joined_at": 1000}
            assert httpx.post(f"{base}/v1/members", json=body, headers=ADMIN).status_code == 201
        # The worker's requests reach the receiver, which holds them: they are in flight.
        with receiver.arrived:
            assert receiver.arrived.wait_for(lambda: receiver.received >= 1, timeout=60)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        assert receiver.hold is not None
        receiver.hold.set()  # answered now, to a sender that is gone
        with receiver.arrived:
            receiver.arrived.wait_for(lambda: len(receiver.arrivals) >= receiver.received, 30)
        in_flight = {arrival.webhook_id for arrival in receiver.arrivals}
        assert in_flight  # at least one request was cut off mid-delivery

        server = serve(graph_url, port)
        wait_ready(base)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            delivered = receiver.delivered()
            if {a.body["data"]["member_id"] for a in delivered} == set(MEMBERS) and (
                in_flight <= {a.webhook_id for a in delivered[len(in_flight) :]}
            ):
                break
            time.sleep(0.1)
        deliveries = httpx.get(
            f"{base}/v1/webhooks/all/deliveries", params={"limit": 100}, headers=ADMIN
        ).json()["items"]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert receiver.forged == []
    delivered = receiver.delivered()
    assert {a.body["data"]["member_id"] for a in delivered} == set(MEMBERS)
    # Each event is one webhook-id, the same body on every attempt.
    bodies: dict[str, dict[str, object]] = {}
    for arrival in delivered:
        assert bodies.setdefault(arrival.webhook_id, arrival.body) == arrival.body
    assert len(bodies) == len(MEMBERS)
    # The cut-off ones came again after the restart: duplicates with the same webhook-id.
    again = [a.webhook_id for a in delivered[len(in_flight) :]]
    assert in_flight <= set(again), (in_flight, again)
    assert sorted(d["state"] for d in deliveries) == ["delivered"] * len(MEMBERS)
