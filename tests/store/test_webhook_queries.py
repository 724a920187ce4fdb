"""The outbox's pruning on both backends: events dispatched long enough ago go with their
deliveries once none of those is pending; recent, pending and undispatched ones stay; and an
admin's resend racing the pruner is never lost."""

from __future__ import annotations

import threading

from app.domain.webhooks import Attempt, outbox_event
from app.store.cypher_store import CypherStore
from app.store.port import Dispatch, PendingDelivery

HOOK = "hook"
T0 = 1_000_000_000_000  # when the old events were dispatched
LATER = T0 + 40 * 86_400_000  # when the recent ones were
CUTOFF = T0 + 30 * 86_400_000  # a pruner keeping 30 days, running at LATER


def put_events(store: CypherStore, ids: list[str]) -> None:
    events = [outbox_event(i, "member.registered", f"m-{i}", T0, {"id": i}) for i in ids]
    assert store.put_outbox_events(events) == len(ids)


def dispatch(store: CypherStore, ids: list[str], now: int, hooks: list[str]) -> None:
    store.dispatch_events([Dispatch(i, f'{{"id":"{i}"}}', hooks) for i in ids], now)


def pending(store: CypherStore) -> dict[str, PendingDelivery]:
    return {p.event_id: p for p in store.pending_deliveries(HOOK, 1000)}


def answer(store: CypherStore, delivery: PendingDelivery, ok: bool) -> None:
    attempt = Attempt(at=delivery.next_attempt_at, status_code=200 if ok else 500,
                      error=None if ok else "HTTP 500", duration_ms=1)  # fmt: skip
    assert store.record_attempt(delivery, attempt, "delivered" if ok else "failed", None)


def old_events_answered(store: CypherStore, ids: list[str], ok: bool) -> None:
    """Events dispatched at T0 to the endpoint, each delivery then delivered or failed."""
    put_events(store, ids)
    dispatch(store, ids, T0, [HOOK])
    for delivery in pending(store).values():
        answer(store, delivery, ok)


def kept(store: CypherStore) -> dict[str, str]:
    """Each delivery of the endpoint still stored: event id to state."""
    page = store.deliveries_page(HOOK, None, (2**62, ""), 1000)
    return {delivery.event_id: delivery.state for delivery in page}


def test_only_old_events_whose_deliveries_are_all_done_are_pruned(store: CypherStore) -> None:
    put_events(store, ["delivered", "failed", "retrying", "unheard", "recent", "undispatched"])
    dispatch(store, ["delivered", "failed", "retrying"], T0, [HOOK])
    dispatch(store, ["unheard"], T0, [])  # no endpoint asked for it: no delivery
    dispatch(store, ["recent"], LATER, [HOOK])
    due = pending(store)
    answer(store, due["delivered"], ok=True)
    answer(store, due["failed"], ok=False)
    answer(store, due["recent"], ok=True)

    # delivered, failed and unheard: dispatched before the cutoff, nothing pending.
    assert store.prune_outbox(CUTOFF, 10) == 3
    assert kept(store) == {"retrying": "pending", "recent": "delivered"}
    assert [e.id for e in store.new_outbox_events(2**62, 10)] == ["undispatched"]
    assert store.prune_outbox(CUTOFF, 10) == 0  # a second run finds nothing more

    answer(store, pending(store)["retrying"], ok=True)  # its last retry got through
    assert store.prune_outbox(CUTOFF, 10) == 1
    assert kept(store) == {"recent": "delivered"}


def test_a_prune_deletes_no_more_than_its_limit(store: CypherStore) -> None:
    old_events_answered(store, [f"e{k}" for k in range(5)], ok=True)
    assert [store.prune_outbox(CUTOFF, 2) for _ in range(4)] == [2, 2, 1, 0]
    assert kept(store) == {}


def test_a_resend_racing_the_pruner_is_never_lost(store: CypherStore) -> None:
    ids = [f"e{k:02}" for k in range(40)]
    old_events_answered(store, ids, ok=False)  # every delivery failed for good
    resent: list[str] = []
    errors: list[BaseException] = []
    started = threading.Barrier(2)

    def resend_each() -> None:
        started.wait()
        for event_id in ids:
            try:
                found = store.resend_delivery(HOOK, event_id, LATER)
            except BaseException as error:  # recorded: a thread cannot fail the test
                errors.append(error)
                continue
            if found is not None and found[1]:
                resent.append(event_id)

    def prune_all() -> None:
        started.wait()
        try:
            while store.prune_outbox(CUTOFF, 3):
                pass
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=resend_each), threading.Thread(target=prune_all)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store.prune_outbox(CUTOFF, 100)  # whatever the racing pruner left that it may take
    # Every resend the admin was told of is still there, pending; everything else went.
    assert kept(store) == dict.fromkeys(resent, "pending")
