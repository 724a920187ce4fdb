"""Ledger benchmark: orders with ledger writes on the generated network, on each backend,
every figure side by side with its baseline in one run.

    python scripts/bench_ledger.py --members 1000000 --orders 40000
    python scripts/bench_ledger.py --members 1000000 --orders 40000 --points

Figures (issue "Commissions ... auditable ledger"):
  ingest       orders/s through the order service with the seed plan in force, against
               orders/s of the same service with no plan in force (no entries), interleaved;
               1 and 4 clients. With --points (issue 15's figure, goal >= 0.8x): orders/s
               with ledger + points + outbox (the seed plan with a points section, each
               entry's webhook events written in the order's statement) against the ledger
               alone (the seed plan as it is, in force the day before, the same statement
               given no events), interleaved
  refunds      partial refunds/s (reversal entries) through the refund service
  trace        GET /v1/ledger/{id}/trace through the service, p50/p99, against a raw
               point lookup of the entry by id
  compliance   the compliance report, seconds, against a bare count of every member
  audit        `refgraph audit` over every order: seconds, and seconds per million entries
Buyers are drawn uniformly from all members, so orders come from every depth; a third of
them are shared by the buyer's inviter, another tenth by a random member.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import (
    fresh_store,
    log,
    median_seconds,
    ms,
    percentile,
    read,
    read_rows,
)

from app.core.config import PROJECT_ROOT
from app.core.errors import InvalidInput
from app.domain.ledger import OrderCreate, RefundCreate
from app.domain.plans import DAY_MS, Plan
from app.domain.points import PointsRules
from app.domain.tiers import DEFAULT_LADDER
from app.services.audit import audit_ledger
from app.services.compliance import compliance_report
from app.services.generator import generate_network
from app.services.importer import import_members
from app.services.ledger import trace_entry
from app.services.orders import post_order, post_refund
from app.services.plans import load_plan
from app.store import order_queries, outbox
from app.store.catalogue import Backend
from app.store.cypher_store import CypherStore

SEED_PLAN = PROJECT_ROOT / "examples" / "seed-plan.json"
# A point per yuan, as the sources run it, expiring at the month's end a year on.
BENCH_POINTS = PointsRules.model_validate(
    {"earn": {"points": 1, "per": 100}, "grants": {"bind_phone": 200},
     "redemption": {"points": 100, "value": 100}}
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=40_000, help="orders per backend")
    parser.add_argument("--backends", default="falkordb,neo4j")
    parser.add_argument("--neo4j-url", default=None, help="default: scripts/neo4j-local url")
    parser.add_argument("--traces", type=int, default=2000)
    parser.add_argument(
        "--points",
        action="store_true",
        help="ingest: ledger + points + outbox against the ledger alone (not against no plan)",
    )
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench-results")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    network = args.out / f"network-{args.members}.csv"
    if not network.exists():
        generate_network(members=args.members, out=network, seed=7)
    rows = read_rows(network)
    results: dict[str, Any] = {"members": args.members, "orders": args.orders, "backends": {}}
    for backend in args.backends.split(","):
        log(f"=== {backend}")
        with fresh_store(Backend(backend), args.neo4j_url) as store:
            results["backends"][backend] = run_figures(store, network, rows, args)
        out = args.out / f"ledger-{args.members}{'-points' if args.points else ''}.json"
        out.write_text(json.dumps(results, indent=2))
    print_table(results)


def run_figures(
    store: CypherStore, network: Path, rows: list[dict[str, Any]], args: argparse.Namespace
) -> dict[str, Any]:
    started = time.perf_counter()
    report = import_members(store=store, ladder=DEFAULT_LADDER, source=network, batch_size=5000)
    log(f"imported {report.created} members in {time.perf_counter() - started:.0f}s")
    last_join = max(r["joined_at"] for r in rows)
    seed = Plan.model_validate_json(SEED_PLAN.read_text())
    plan = seed.model_copy(update={"version": "bench", "effective_from": last_join + DAY_MS})
    if args.points:
        # The orders placed the day before are priced by the seed plan as it is: the same
        # entries, no points; the others by the same plan with points.
        alone = seed.model_copy(update={"version": "bench-ledger", "effective_from": last_join})
        load_plan(store=store, ladder=DEFAULT_LADDER, plan=alone, now=alone.effective_from)
        plan = plan.model_copy(update={"version": "bench", "points": BENCH_POINTS})
    load_plan(store=store, ladder=DEFAULT_LADDER, plan=plan, now=plan.effective_from)
    orders = make_orders(rows, args.orders, plan.effective_from)
    alone_before = plan.effective_from if args.points else None
    figures: dict[str, Any] = {"ingest": ingest_figure(store, orders, alone_before=alone_before)}
    log(f"ingest {figures['ingest']}")
    priced = [o for o in orders if o.placed_at >= plan.effective_from]
    figures["refunds"] = refunds_figure(store, priced[: len(priced) // 10])
    log(f"refunds {figures['refunds']}")
    figures["trace"] = trace_figure(store, priced, args.traces)
    log(f"trace {figures['trace']}")
    figures["compliance"] = compliance_figure(store)
    log(f"compliance {figures['compliance']}")
    figures["audit"] = audit_figure(store)
    log(f"audit {figures['audit']}")
    return figures


def make_orders(rows: list[dict[str, Any]], count: int, plan_from: int) -> list[OrderCreate]:
    """Every other order is placed before the plan takes effect (no entries; with --points,
    under the seed plan without points): the baseline, interleaved with the priced ones."""
    rng = random.Random(11)
    orders = []
    for k in range(count):
        buyer = rows[rng.randrange(len(rows))]
        draw = rng.random()
        shared_by = (
            buyer["inviter_id"]
            if draw < 0.33
            else rows[rng.randrange(len(rows))]["id"]
            if draw < 0.43
            else None
        )
        placed_at = plan_from + k if k % 2 else plan_from - DAY_MS + k
        orders.append(
            OrderCreate(
                id=f"bench-{k}",
                buyer_id=buyer["id"],
                amount=rng.randint(990, 99_000),
                currency="CNY",
                placed_at=placed_at,
                shared_by=shared_by,
            )
        )
    return orders


def ingest_figure(
    store: CypherStore, orders: list[OrderCreate], *, alone_before: int | None = None
) -> dict[str, Any]:
    """Orders/s with and without ledger writes (with --points, `alone_before` set: with
    ledger, points and outbox, and with the ledger alone), measured interleaved, with 1 then
    4 clients. Each order is posted once; the sharer may have joined after the order's time,
    which the service refuses (counted apart, not timed against either side)."""
    measured, baseline = (
        ("with_points", "ledger_alone")
        if alone_before is not None
        else ("with_ledger", "without_ledger")
    )
    figure: dict[str, Any] = {}
    half = len(orders) // 5
    for clients, batch in ((1, orders[:half]), (4, orders[half:])):
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            outcomes = list(pool.map(partial(post_timed, store, alone_before=alone_before), batch))
        wall = time.perf_counter() - started
        done = [o for o in outcomes if o is not None]
        # The measured side is the orders the "bench" plan priced (placed after it took
        # effect); the baseline the ones placed the day before.
        priced = [seconds for seconds, version, _ in done if version == "bench"]
        unpriced = [seconds for seconds, version, _ in done if version != "bench"]
        entries = sum(count for _, version, count in done if version == "bench")
        per_s_priced = len(priced) / sum(priced) * clients
        per_s_unpriced = len(unpriced) / sum(unpriced) * clients
        figure[f"{clients}_client"] = {
            "orders": len(batch),
            "wall_orders_per_s": round(len(batch) / wall, 1),
            f"{measured}_per_s": round(per_s_priced, 1),
            f"{baseline}_per_s": round(per_s_unpriced, 1),
            "ratio": round(per_s_priced / per_s_unpriced, 2),
            "entries_per_priced_order": round(entries / max(len(priced), 1), 2),
            f"p99_{measured}_ms": ms(percentile(priced, 99)),
            f"p99_{baseline}_ms": ms(percentile(unpriced, 99)),
            "refused": len(outcomes) - len(done),
        }
    return figure


# The baseline of --points is the ledger alone: the order's statement is given no outbox
# events on the thread posting a baseline order (order_queries builds them per call).
_ledger_alone = threading.local()
_entry_events = outbox.entry_created_events


def _events_unless_ledger_alone(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    return [] if getattr(_ledger_alone, "on", False) else _entry_events(*args, **kwargs)


setattr(order_queries, "entry_created_events", _events_unless_ledger_alone)  # noqa: B010


def post_timed(
    store: CypherStore, order: OrderCreate, *, alone_before: int | None = None
) -> tuple[float, str | None, int] | None:
    """(seconds, the plan version that priced it, entries written), or None when refused
    (a sharer who joined after the order's time: a 422). An order placed before
    `alone_before` is written without its outbox events."""
    _ledger_alone.on = alone_before is not None and order.placed_at < alone_before
    started = time.perf_counter()
    try:
        posted, _ = post_order(
            store=store, ladder=DEFAULT_LADDER, request=order, now=order.placed_at
        )
    except InvalidInput:
        return None
    finally:
        _ledger_alone.on = False
    return time.perf_counter() - started, posted.order.plan_version, len(posted.entries)


def refunds_figure(store: CypherStore, orders: list[OrderCreate]) -> dict[str, Any]:
    timings = []
    for order in orders:
        if not store.orders_by_id([order.id]):
            continue
        refund = RefundCreate(
            id=f"{order.id}-r", amount=order.amount // 2, refunded_at=order.placed_at + 1
        )
        started = time.perf_counter()
        post_refund(
            ladder=DEFAULT_LADDER,
            store=store,
            order_id=order.id,
            request=refund,
            now=refund.refunded_at,
        )
        timings.append(time.perf_counter() - started)
    return {
        "refunds": len(timings),
        "per_s": round(len(timings) / sum(timings), 1),
        "p50_ms": ms(percentile(timings, 50)),
    }


def trace_figure(store: CypherStore, orders: list[OrderCreate], samples: int) -> dict[str, Any]:
    rng = random.Random(5)
    picked = [orders[rng.randrange(len(orders))].id for _ in range(samples)]
    entries = [e.id for e in store.entries_of_orders(picked)]
    ids = [entries[rng.randrange(len(entries))] for _ in range(samples)]
    ours, raw = [], []
    for entry_id in ids:
        started = time.perf_counter()
        trace_entry(store=store, entry_id=entry_id)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        read(store, "raw_entry_lookup", {"id": entry_id})
        raw.append(time.perf_counter() - started)
    return {
        "p50_ms": ms(percentile(ours, 50)),
        "p99_ms": ms(percentile(ours, 99)),
        "raw_lookup_p50_ms": ms(percentile(raw, 50)),
        "ratio_p50": round(percentile(ours, 50) / percentile(raw, 50), 2),
    }


def compliance_figure(store: CypherStore) -> dict[str, Any]:
    ours = median_seconds(lambda: compliance_report(store=store, now=0), runs=3)
    scan = median_seconds(lambda: read(store, "member_scan", {}), runs=3)
    return {"report_s": round(ours, 2), "member_scan_s": round(scan, 2),
            "ratio": round(ours / scan, 2)}  # fmt: skip


def audit_figure(store: CypherStore) -> dict[str, Any]:
    timed: Callable[[], Any] = lambda: audit_ledger(store=store, ladder=DEFAULT_LADDER)  # noqa: E731
    started = time.perf_counter()
    report = timed()
    seconds = time.perf_counter() - started
    assert report.ok, report.differences[:5]
    return {
        "orders": report.orders,
        "entries": report.entries,
        "seconds": round(seconds, 1),
        "seconds_per_million_entries": round(seconds / report.entries * 1_000_000, 1),
    }


def print_table(results: dict[str, Any]) -> None:
    backends = list(results["backends"])
    lines = [
        f"figure ({results['members']:,} members, {results['orders']:,} orders) | "
        + " | ".join(backends),
        "--- | " + " | ".join("---" for _ in backends),
    ]
    picks = [
        (
            "orders/s with ledger + points + outbox, 1 client",
            "ingest",
            "1_client",
            "with_points_per_s",
        ),
        ("orders/s with the ledger alone, 1 client", "ingest", "1_client", "ledger_alone_per_s"),
        (
            "orders/s with ledger + points + outbox, 4 clients",
            "ingest",
            "4_client",
            "with_points_per_s",
        ),
        ("orders/s with the ledger alone, 4 clients", "ingest", "4_client", "ledger_alone_per_s"),
        ("orders/s with ledger, 1 client", "ingest", "1_client", "with_ledger_per_s"),
        ("orders/s without ledger, 1 client", "ingest", "1_client", "without_ledger_per_s"),
        ("measured / baseline, 1 client", "ingest", "1_client", "ratio"),
        ("orders/s with ledger, 4 clients", "ingest", "4_client", "with_ledger_per_s"),
        ("measured / baseline, 4 clients", "ingest", "4_client", "ratio"),
        ("entries per priced order", "ingest", "1_client", "entries_per_priced_order"),
        ("refunds/s", "refunds", None, "per_s"),
        ("trace p50 ms", "trace", None, "p50_ms"),
        ("trace p99 ms", "trace", None, "p99_ms"),
        ("trace p50 / raw lookup", "trace", None, "ratio_p50"),
        ("compliance report s", "compliance", None, "report_s"),
        ("compliance / member scan", "compliance", None, "ratio"),
        ("audit s per million entries", "audit", None, "seconds_per_million_entries"),
    ]
    for label, figure, sub, key in picks:
        values = []
        for backend in backends:
            node = results["backends"][backend].get(figure, {})
            node = node.get(sub, {}) if sub else node
            values.append(node.get(key))
        if all(value is None for value in values):
            continue  # a figure of the other mode (--points or not)
        lines.append(f"{label} | " + " | ".join("-" if v is None else str(v) for v in values))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
