"""Payout benchmark: a batch over every member of a generated network, on each backend.

    python scripts/bench_payouts.py --members 100000

Each member has --entries released entries (random amounts, one in five a negative
clawback), written bare. Figures, each beside its baseline in the same run:
  draft      seconds to draft the batch (read the candidates, build the items, write the
             batch, its items and every claim in one statement), against a bare read of the
             same entries; the Python heap's peak while drafting (tracemalloc) and the
             process's peak RSS
  approve    seconds; export: seconds for the first export and for a re-export, CSV bytes
  settle     one item marked paid, p50/p99 ms over --settles items, against a balance read
  audit      the payout audit over every item, claim and line, seconds
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import BENCH_QUERIES, fresh_store, log, ms, percentile, read, read_rows

from app.core.config import PROJECT_ROOT
from app.domain.lifecycle import Actor
from app.domain.payouts import ItemPaid, PayoutCreate
from app.domain.tiers import DEFAULT_LADDER
from app.services import payouts
from app.services.audit import audit_payouts
from app.services.generator import generate_network
from app.services.importer import import_members
from app.store.catalogue import Backend
from app.store.cypher_store import CypherStore
from app.store.falkordb_store import FalkorDBStore
from app.store.neo4j_store import Neo4jStore

ADMIN = Actor(role="admin", key_id="bench")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=3, help="released entries per member")
    parser.add_argument("--settles", type=int, default=500)
    parser.add_argument("--backends", default="falkordb,neo4j")
    parser.add_argument("--neo4j-url", default=None, help="default: scripts/neo4j-local url")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench-results")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    network = args.out / f"network-{args.members}.csv"
    if not network.exists():
        generate_network(members=args.members, out=network, seed=7)
    rows = read_rows(network)
    results: dict[str, Any] = {"members": args.members, "entries": args.entries, "backends": {}}
    for backend in args.backends.split(","):
        log(f"=== {backend}")
        with fresh_store(Backend(backend), args.neo4j_url) as store:
            results["backends"][backend] = run_figures(store, network, rows, args)
        out = args.out / f"payouts-{args.members}.json"
        out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


def write(store: CypherStore, name: str, params: dict[str, Any]) -> None:
    query = BENCH_QUERIES[name]
    if isinstance(store, FalkorDBStore):
        store.graph.query(query, params)
    else:
        assert isinstance(store, Neo4jStore)
        store.driver.execute_query(query, params)


def run_figures(
    store: CypherStore, network: Path, rows: list[dict[str, Any]], args: argparse.Namespace
) -> dict[str, Any]:
    import_members(store=store, ladder=DEFAULT_LADDER, source=network, batch_size=5000)
    at = max(r["joined_at"] for r in rows) + 1
    rng = random.Random(5)
    entries = [
        {
            "id": f"bench:{r['id']}:{k}",
            "member_id": r["id"],
            "kind": "self_rebate",
            "amount": -rng.randint(1, 3000) if rng.random() < 0.2 else rng.randint(100, 9000),
            "at": at,
        }
        for r in rows
        for k in range(args.entries)
    ]
    for start in range(0, len(entries), 10_000):
        write(store, "bench_load_entries", {"rows": entries[start : start + 10_000]})
    log(f"{len(entries):,} entries written")
    now = at + 1000
    figures: dict[str, Any] = {}

    started = time.perf_counter()
    scanned = read(store, "bench_available_scan", {"currency": "CNY", "as_of": now})
    bare = time.perf_counter() - started
    tracemalloc.start()
    started = time.perf_counter()
    create = PayoutCreate(id="bench", as_of=now, currency="CNY", minimum=1000)
    payout, _ = payouts.create_payout(store=store, create=create, actor=ADMIN, now=now)
    drafted = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    figures["draft"] = {
        "items": len(payout.items),
        "skipped": len(payout.skipped),
        "entries_claimed": sum(len(i.entry_ids) for i in payout.items),
        "entries_scanned": len(scanned),
        "seconds": round(drafted, 2),
        "bare_read_seconds": round(bare, 2),
        "ratio": round(drafted / bare, 1),
        "python_heap_peak_mb": round(peak / 2**20),
        "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    log(f"draft {figures['draft']}")

    started = time.perf_counter()
    payouts.approve_payout(store=store, payout_id="bench", actor=ADMIN, now=now)
    approved = time.perf_counter() - started
    started = time.perf_counter()
    _, first = payouts.export_payout(store=store, payout_id="bench", actor=ADMIN, now=now)
    exported = time.perf_counter() - started
    started = time.perf_counter()
    _, again = payouts.export_payout(store=store, payout_id="bench", actor=ADMIN, now=now)
    re_exported = time.perf_counter() - started
    assert again == first
    figures["approve_export"] = {
        "approve_seconds": round(approved, 2),
        "export_seconds": round(exported, 2),
        "re_export_seconds": round(re_exported, 2),
        "rows": len(first),
    }
    log(f"approve/export {figures['approve_export']}")

    members = [item.member_id for item in payout.items[: args.settles]]
    settle, balance = [], []
    for k, member in enumerate(members):
        started = time.perf_counter()
        payouts.mark_item_paid(
            store=store, payout_id="bench", member_id=member,
            paid=ItemPaid(reference=f"T{k}"), actor=ADMIN, now=now,
        )  # fmt: skip
        settle.append(time.perf_counter() - started)
        started = time.perf_counter()
        payouts.get_balance(store=store, member_id=member)
        balance.append(time.perf_counter() - started)
    figures["settle"] = {
        "items": len(members),
        "paid_p50_ms": ms(percentile(settle, 50)),
        "paid_p99_ms": ms(percentile(settle, 99)),
        "balance_p50_ms": ms(percentile(balance, 50)),
        "ratio_p50": round(percentile(settle, 50) / percentile(balance, 50), 1),
    }
    log(f"settle {figures['settle']}")
    started = time.perf_counter()
    differences = audit_payouts(store)
    figures["audit"] = {
        "seconds": round(time.perf_counter() - started, 2),
        "differences": len(differences),
    }
    log(f"audit {figures['audit']}")
    return figures


if __name__ == "__main__":
    main()
