"""Webhooks over HTTP on both backends, against a real receiver on 127.0.0.1 that verifies
every signature: endpoints registered (the secret shown once), every event of a month of
registrations, paid marks, sponsor moves, orders, releases and payouts delivered once, in
order per member, and each compared with the graph's own facts read back; refusals."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.domain.tiers import TierLadder, TierStep
from app.domain.webhooks import EVENT_TYPES, RetrySchedule, WorkerSettings
from app.services.orders import release_due_entries
from app.services.webhook_delivery import WebhookWorker
from app.store.cypher_store import CypherStore
from tests.api.routes.test_members import assert_problem, register
from tests.api.routes.test_payouts import DAY, DEC, a_paid_november
from tests.api.routes.test_payouts import PLAN as PAYOUT_PLAN
from tests.api.routes.test_points import POINTS, buy, grant, load_points_plan, redeem, t
from tests.conftest import auth, make_settings
from tests.receiver import Arrival, Receiver, receiving

ADMIN = auth("admin")
# butterfly at one paid invite, so a paid mark moves her inviter's tier.
LADDER = TierLadder(steps=(TierStep(tier="bee", min_paid_invites=0),
                           TierStep(tier="butterfly", min_paid_invites=1)))  # fmt: skip
# Sent as soon as written (no settle wait), retried after ~1 ms: a test runs in seconds.
QUICK = WorkerSettings(
    schedule=RetrySchedule(base_ms=1, cap_ms=4, give_up_after_ms=60_000),
    timeout_s=10,
    settle_ms=0,
    concurrency=4,
)


@pytest.fixture
def settings() -> Settings:
    return make_settings(tier_ladder=LADDER)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as listening:
        yield listening


def subscribe(client: TestClient, receiver: Receiver, hook_id: str, events: list[str]) -> str:
    answer = client.post(
        "/v1/webhooks", json={"id": hook_id, "url": receiver.url, "events": events}, headers=ADMIN
    )
    assert answer.status_code == 201, answer.text
    secret: str = answer.json()["secret"]
    return secret


def by_type(arrivals: list[Arrival]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for arrival in arrivals:
        grouped[arrival.body["type"]].append(arrival.body["data"])
    return grouped


def test_an_endpoint_is_registered_once_and_its_secret_shown_only_to_the_create(
    client: TestClient,
) -> None:
    body = {"id": "crm", "url": "https://crm.example.com/hooks", "events": ["member.paid"]}
    created = client.post("/v1/webhooks", json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    retried = client.post("/v1/webhooks", json=body, headers=ADMIN)  # the answer was lost
    assert retried.status_code == 200 and retried.json()["secret"] == secret
    assert_problem(
        client.post("/v1/webhooks", json={**body, "url": "https://other.example.com/"},
                    headers=ADMIN),
        409, "another url",
    )  # fmt: skip
    listed = client.get("/v1/webhooks", headers=ADMIN).json()
    assert [(h["id"], h["events"], h["pending"]) for h in listed] == [("crm", ["member.paid"], 0)]
    assert (
        "secret" not in listed[0]
        and "secret" not in client.get("/v1/webhooks/crm", headers=ADMIN).json()
    )
    assert client.delete("/v1/webhooks/crm", headers=ADMIN).json()["status"] == "disabled"
    assert client.delete("/v1/webhooks/crm", headers=ADMIN).json()["status"] == "disabled"
    assert_problem(client.get("/v1/webhooks/nope", headers=ADMIN), 404, "no webhook 'nope'")


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"url": "ftp://files.example.com/x"}, "not an http(s) URL"),
        ({"url": "http:///nohost"}, "not an http(s) URL"),
        ({"url": "https://user:pw@example.com/"}, "user or password"),
        ({"events": []}, "at least 1"),
        ({"events": ["member.deleted"]}, "member.registered"),
        ({"secret": "mine"}, "Extra inputs"),
    ],
)
def test_a_bad_endpoint_is_refused_and_nothing_is_registered(
    client: TestClient, change: dict[str, Any], says: str
) -> None:
    body = {"id": "crm", "url": "https://crm.example.com/hooks", "events": ["member.paid"]}
    assert_problem(client.post("/v1/webhooks", json={**body, **change}, headers=ADMIN), 422, says)
    assert client.get("/v1/webhooks", headers=ADMIN).json() == []


def test_every_event_of_a_month_arrives_signed_once_and_in_order_per_member(
    client: TestClient,
    store: CypherStore,
    clock: Callable[[int], None],
    receiver: Receiver,
) -> None:
    receiver.secret = subscribe(client, receiver, "all", list(EVENT_TYPES))
    # A second endpoint (another secret: the receiver checks only the first's, so every
    # request to it would be counted as forged) is registered disabled, to show it gets none.
    other = client.post(
        "/v1/webhooks",
        json={"id": "finance", "url": receiver.url, "events": ["payout.item_paid"]},
        headers=ADMIN,
    )
    assert other.status_code == 201
    assert client.delete("/v1/webhooks/finance", headers=ADMIN).status_code == 200
    # ann invited bea and cat; November's orders; the batch paid Dec 2 (test_payouts.py).
    a_paid_november(client, clock)
    # dan joins under bea and pays his fee (bea: butterfly), then moves to cat.
    clock(DEC + 6 * DAY)
    register(client, "dan", "bea")
    paid = client.post("/v1/members/dan/paid", json={"paid_at": DEC + 3 * DAY}, headers=ADMIN)
    assert paid.status_code == 200, paid.text
    move = {"change_id": "mv-1", "inviter_id": "cat", "reason": "wrong link",
            "effective_at": DEC + 4 * DAY}  # fmt: skip
    moved = client.post("/v1/members/dan/sponsor", json=move, headers=ADMIN)
    assert moved.status_code == 200, moved.text
    release_due_entries(store=store, now=DEC + 5 * DAY)

    worker = WebhookWorker(store, QUICK)
    try:
        worker.run_until_idle(budget_s=60)
        again = worker.run_round()
    finally:
        worker.close()
    assert again.dispatched == 0 and again.attempted == 0  # all sent; nothing twice
    assert receiver.forged == []
    arrivals = receiver.delivered()
    assert len({a.webhook_id for a in arrivals}) == len(arrivals)  # one request per event
    got = by_type(arrivals)

    # What the graph holds, read back, against what arrived.
    assert sorted(e["member_id"] for e in got["member.registered"]) == ["ann", "bea", "cat", "dan"]
    assert got["member.paid"] == [{"member_id": "dan", "paid_at": DEC + 3 * DAY}]
    (sponsor,) = got["member.sponsor_changed"]
    assert (sponsor["member_id"], sponsor["inviter_id"], sponsor["previous_inviter_id"],
            sponsor["at"]) == ("dan", "cat", "bea", DEC + 4 * DAY)  # fmt: skip
    tier_changes = sorted(
        (member, change.tier, change.previous, change.at)
        for member in ("ann", "bea", "cat", "dan")
        for change in store.tier_history(member)
    )
    assert tier_changes  # bea's butterfly at least
    assert (
        sorted(
            (e["member_id"], e["tier"], e["previous"], e["at"]) for e in got["member.tier_changed"]
        )
        == tier_changes
    )
    entries = store.entries_of_orders([order.id for order in store.all_orders()])
    assert sorted(
        (e["entry_id"], e["member_id"], e["amount"]) for e in got["ledger.entry_created"]
    ) == sorted((e.id, e.beneficiary_id, e.amount) for e in entries)
    released = [e for e in entries if e.released_at is not None]
    assert released  # the releaser's work
    assert sorted(e["entry_id"] for e in got["ledger.entry_released"]) == sorted(
        e.id for e in released
    )
    assert sorted((e["member_id"], e["amount"], e["reference"]) for e in got[
        "payout.item_paid"]) == [("ann", 2500, "B-ann"), ("bea", 1000, "B-bea"),
                                 ("cat", 3000, "B-cat")]  # fmt: skip

    # In order per member: she registers before anything else of hers; an entry is created
    # before it is released; her payout follows the release of what it paid.
    for member in ("ann", "bea", "cat", "dan"):
        hers = [a.body for a in arrivals if a.body["data"]["member_id"] == member]
        assert hers[0]["type"] == "member.registered", hers
        seen: set[str] = set()
        for body in hers:
            if body["type"] == "ledger.entry_created":
                seen.add(body["data"]["entry_id"])
            if body["type"] == "ledger.entry_released":
                assert body["data"]["entry_id"] in seen

    page = client.get("/v1/webhooks/all/deliveries", params={"limit": 500}, headers=ADMIN).json()
    assert {d["event_id"] for d in page["items"]} == {a.webhook_id for a in arrivals}
    assert all(d["state"] == "delivered" and d["attempts"] == 1 for d in page["items"])
    assert all(d["log"][0]["status_code"] == 200 for d in page["items"])
    summary = client.get("/v1/webhooks/finance", headers=ADMIN).json()
    assert (summary["pending"], summary["delivered"], summary["failed"]) == (0, 0, 0)


def test_a_receiver_answering_500_gets_every_event_again_until_it_takes_them(
    client: TestClient, store: CypherStore, receiver: Receiver
) -> None:
    receiver.secret = subscribe(client, receiver, "all", ["member.registered", "member.paid"])
    receiver.fail_first = 5
    for member in ("a", "b", "c"):
        assert register(client, member).status_code == 201
    assert client.post("/v1/members/a/paid", json={"paid_at": 2000}, headers=ADMIN).status_code
    worker = WebhookWorker(store, QUICK)
    try:
        worker.run_until_idle(budget_s=60)
    finally:
        worker.close()
    delivered = receiver.delivered()
    assert sorted((a.body["type"], a.body["data"]["member_id"]) for a in delivered) == [
        ("member.paid", "a"), ("member.registered", "a"), ("member.registered", "b"),
        ("member.registered", "c"),
    ]  # fmt: skip
    # Five 500s went to the members' first events; a's paid mark came after her registration.
    refused = [a for a in receiver.arrivals if a.answered == 500]
    assert len(refused) == 5
    a_events = [a.body["type"] for a in delivered if a.body["data"]["member_id"] == "a"]
    assert a_events == ["member.registered", "member.paid"]
    # A retry is the same message: a refused request's id arrives again, delivered.
    assert {a.webhook_id for a in refused} <= {a.webhook_id for a in delivered}
    page = client.get("/v1/webhooks/all/deliveries", headers=ADMIN).json()["items"]
    assert sum(d["attempts"] for d in page) == 4 + 5
    retried = [d for d in page if d["attempts"] > 1]
    assert all([x["status_code"] for x in d["log"]][-1] == 200 for d in retried)
    assert all(500 in [x["status_code"] for x in d["log"]] for d in retried)


def test_a_delivery_given_up_is_failed_and_can_be_sent_again(
    client: TestClient, store: CypherStore, receiver: Receiver
) -> None:
    receiver.secret = subscribe(client, receiver, "all", ["member.registered"])
    receiver.fail_first = 1000
    assert register(client, "a").status_code == 201
    assert register(client, "b", "a").status_code == 201
    give_up_fast = QUICK._replace(schedule=RetrySchedule(base_ms=1, cap_ms=2, give_up_after_ms=30))
    worker = WebhookWorker(store, give_up_fast)
    try:
        worker.run_until_idle(budget_s=30)
        failed = client.get(
            "/v1/webhooks/all/deliveries", params={"state": "failed"}, headers=ADMIN
        ).json()["items"]
        assert sorted(d["member_id"] for d in failed) == ["a", "b"]
        assert all(d["attempts"] >= 1 and d["next_attempt_at"] is None for d in failed)
        summary = client.get("/v1/webhooks/all", headers=ADMIN).json()
        assert (summary["pending"], summary["failed"]) == (0, 2)

        receiver.fail_first = 0
        resent = client.post(
            f"/v1/webhooks/all/deliveries/{failed[0]['event_id']}/resend", headers=ADMIN
        )
        assert resent.status_code == 200 and resent.json()["state"] == "pending"
        again = client.post(
            f"/v1/webhooks/all/deliveries/{failed[0]['event_id']}/resend", headers=ADMIN
        )
        assert again.json()["state"] == "pending"  # a retried call changes nothing more
        worker.run_until_idle(budget_s=30)
    finally:
        worker.close()
    assert [a.webhook_id for a in receiver.delivered()] == [failed[0]["event_id"]]
    assert_problem(
        client.post("/v1/webhooks/all/deliveries/evt_nope/resend", headers=ADMIN),
        404, "no delivery of event 'evt_nope'",
    )  # fmt: skip


def test_events_done_are_pruned_once_kept_for_the_days_set(
    client: TestClient, store: CypherStore, receiver: Receiver
) -> None:
    """b's event fails, a's is delivered; 30 days and a second later both go with their
    deliveries, while c's, dispatched that day, stays. A resend after the prune finds
    nothing to send."""
    receiver.secret = subscribe(client, receiver, "all", ["member.registered"])
    receiver.fail_first = 1000
    assert register(client, "b").status_code == 201
    ahead = {"ms": 0}  # the worker's clock: the wall clock, moved on by the test
    give_up_fast = RetrySchedule(base_ms=1, cap_ms=2, give_up_after_ms=30)
    keeping = QUICK._replace(schedule=give_up_fast, keep_ms=30 * DAY)
    worker = WebhookWorker(store, keeping, clock=lambda: int(time.time() * 1000) + ahead["ms"])
    try:
        worker.run_until_idle(budget_s=30)  # b's attempts fail until it gives up
        receiver.fail_first = 0
        assert register(client, "a").status_code == 201
        worker.run_until_idle(budget_s=30)
        listed = client.get("/v1/webhooks/all/deliveries", headers=ADMIN).json()["items"]
        assert {d["member_id"]: d["state"] for d in listed} == {"a": "delivered", "b": "failed"}
        ahead["ms"] = 30 * DAY + 1000
        assert register(client, "c").status_code == 201
        worker.run_until_idle(budget_s=30)
    finally:
        worker.close()
    listed = client.get("/v1/webhooks/all/deliveries", headers=ADMIN).json()["items"]
    assert [(d["member_id"], d["state"]) for d in listed] == [("c", "delivered")]
    assert [a.body["data"]["member_id"] for a in receiver.delivered()] == ["a", "c"]
    b_event = next(a.webhook_id for a in receiver.arrivals if a.body["data"]["member_id"] == "b")
    resend = client.post(f"/v1/webhooks/all/deliveries/{b_event}/resend", headers=ADMIN)
    assert resend.status_code == 404


def test_a_disabled_endpoint_is_sent_nothing_more(
    client: TestClient, store: CypherStore, receiver: Receiver
) -> None:
    receiver.secret = subscribe(client, receiver, "all", ["member.registered"])
    assert register(client, "a").status_code == 201
    worker = WebhookWorker(store, QUICK)
    try:
        worker.run_until_idle(budget_s=30)
        assert client.delete("/v1/webhooks/all", headers=ADMIN).status_code == 200
        assert register(client, "b").status_code == 201
        worker.run_until_idle(budget_s=30)
    finally:
        worker.close()
    assert [a.body["data"]["member_id"] for a in receiver.delivered()] == ["a"]


def test_a_change_has_its_event_before_any_endpoint_exists(
    client: TestClient, store: CypherStore, receiver: Receiver
) -> None:
    """Events are written with their change, endpoint or not; an endpoint registered later
    receives the events dispatched after it came."""
    assert register(client, "a").status_code == 201
    pending = store.new_outbox_events(settled_before=2**62, limit=10)
    assert [(e.type, e.member_id, e.data["joined_at"]) for e in pending] == [
        ("member.registered", "a", 1000)
    ]
    worker = WebhookWorker(store, QUICK)
    try:
        assert worker.run_round().dispatched == 0  # dispatched to no endpoint
        receiver.secret = subscribe(client, receiver, "late", ["member.registered"])
        assert register(client, "b").status_code == 201
        worker.run_until_idle(budget_s=30)
    finally:
        worker.close()
    assert store.new_outbox_events(settled_before=2**62, limit=10) == []
    assert [a.body["data"]["member_id"] for a in receiver.delivered()] == ["b"]


def test_points_about_to_expire_are_announced_once_per_expiry_date(
    client: TestClient,
    store: CypherStore,
    clock: Callable[[int], None],
    receiver: Receiver,
) -> None:
    """ann earns 150 points in January 2026 (they expire when January 2027 ends) and is
    granted 200 in February (they expire when February 2027 ends); on March 20 she redeems
    100, taken from the oldest lot: 50 left of January's, 250 in all."""
    clock(t("2026-03-20T00:00:00Z"))
    # No tier rules (this module's ladder has two tiers): the payouts plan, with points.
    load_points_plan(client, {**PAYOUT_PLAN, "version": "points-1", "points": POINTS})
    register(client, "ann", joined_at=t("2026-01-02T00:00:00Z"))
    buy(client, "o1", 15_000, "2026-01-15T00:00:00Z")  # 150 yuan: 150 points
    assert grant(client, "bind_phone", "g1", at="2026-02-10T00:00:00Z").status_code == 201
    assert redeem(client, "x1", 100).status_code == 201
    receiver.secret = subscribe(client, receiver, "points", ["points.expiring"])
    now = {"at": t("2027-01-10T00:00:00Z")}
    worker = WebhookWorker(store, QUICK, clock=lambda: now["at"])
    try:
        # Jan 10, 2027, 30 days ahead (to Feb 9): January's 50 expire Feb 1; February's
        # expire Mar 1, outside.
        assert worker.notice_expiring_points(force=True) == 1
        assert worker.notice_expiring_points(force=True) == 0  # announced already
        # Feb 5: January's 50 expired; February's 200 expire Mar 1, within 30 days.
        now["at"] = t("2027-02-05T00:00:00Z")
        assert worker.notice_expiring_points(force=True) == 1
        now["at"] = t("2027-02-06T00:00:00Z")
        worker.run_until_idle(budget_s=30)  # looks again at its first round: nothing new
    finally:
        worker.close()
    assert [(a.body["type"], a.body["data"]) for a in receiver.delivered()] == [
        ("points.expiring", {"member_id": "ann", "expires_at": t("2027-02-01T00:00:00Z"),
                             "points": 50, "balance": 250}),
        ("points.expiring", {"member_id": "ann", "expires_at": t("2027-03-01T00:00:00Z"),
                             "points": 200, "balance": 200}),
    ]  # fmt: skip


def test_a_slow_endpoint_holds_up_only_its_own_deliveries(
    client: TestClient, store: CypherStore
) -> None:
    with receiving() as slow, receiving() as quick:
        slow.hold = threading.Event()
        slow.secret = subscribe(client, slow, "slow", ["member.registered"])
        quick.secret = subscribe(client, quick, "quick", ["member.registered"])
        for member in ("a", "b"):
            assert register(client, member).status_code == 201
        worker = WebhookWorker(store, QUICK)
        sending = threading.Thread(target=worker.run_round)
        try:
            sending.start()
            # Both of the quick endpoint's arrive while the slow one holds its requests.
            assert len(quick.wait_for(2, timeout=30)) == 2
            assert slow.delivered() == []
        finally:
            slow.hold.set()
            sending.join(timeout=30)
            worker.close()
        assert sorted(a.body["data"]["member_id"] for a in slow.delivered()) == ["a", "b"]
