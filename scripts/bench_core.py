"""Core benchmark: every figure is a ratio of two things measured side by side in one run, on
each backend (embedded FalkorDB and Neo4j 5), on one generated network.

    python scripts/bench_core.py --members 1000000            # or: refgraph bench ...

Figures (issue "Referral graph core"):
  http_tier        tier status over HTTP vs a constant FastAPI endpoint, p50/p99
  store_tier       tier status through the store vs a raw point lookup by id, p50
  downline         maintained counter vs traversal, the 10 largest subtrees
  import           our import (counters, checks) vs a bare UNWIND load of the same rows
  deep_writes      registrations under the bottom of the deepest chain vs near a root
  hot_root         registrations/s with 1, 4, 16 clients all under one root
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from app.api.main import create_app
from app.core.config import PROJECT_ROOT, Settings
from app.domain.members import MemberCreate
from app.domain.spend import DEFAULT_SPEND_LADDER
from app.domain.tiers import DEFAULT_LADDER
from app.services.generator import generate_network
from app.services.importer import import_members
from app.services.initial_load import initial_load_statements
from app.services.members import get_downline_counts, get_tier_status, register_member
from app.store.catalogue import Backend
from app.store.coalescing import CoalescingStore
from app.store.cypher_store import CypherStore
from app.store.factory import open_store
from app.store.falkordb_store import FalkorDBStore
from app.store.migrations import apply_migrations
from app.store.neo4j_store import Neo4jStore

BENCH_QUERIES = {
    path.stem: path.read_text() for path in (PROJECT_ROOT / "scripts" / "bench").glob("*.cypher")
}
KEY = "bench-admin-key"
FIGURES = ("import", "store_tier", "http_tier", "downline", "deep_writes", "hot_root")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--backends", default="falkordb,neo4j")
    parser.add_argument("--neo4j-url", default=None, help="default: scripts/neo4j-local url")
    parser.add_argument("--reads", type=int, default=3000, help="samples per read figure")
    parser.add_argument("--writes", type=int, default=300, help="registrations per write figure")
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench-results")
    parser.add_argument(
        "--figures", default=",".join(FIGURES), help="a subset, comma-separated (default: all)"
    )
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    network = args.out / f"network-{args.members}.csv"
    if not network.exists():
        started = time.perf_counter()
        stats = generate_network(members=args.members, out=network, seed=7)
        log(f"generated {stats.model_dump()} in {time.perf_counter() - started:.1f}s")
    rows = read_rows(network)

    results: dict[str, Any] = {"members": args.members, "backends": {}}
    for backend in args.backends.split(","):
        log(f"=== {backend}")
        with fresh_store(Backend(backend), args.neo4j_url) as store:
            results["backends"][backend] = run_figures(store, network, rows, args)
        (args.out / f"core-{args.members}.json").write_text(json.dumps(results, indent=2))
    print_table(results)


def run_figures(
    store: CypherStore, network: Path, rows: list[dict[str, Any]], args: argparse.Namespace
) -> dict[str, Any]:
    wanted = args.figures.split(",")
    figures: dict[str, Any] = {}
    if "import" in wanted:
        figures["import"] = import_figure(store, network, rows, args.batch_size)
    else:  # the network is needed anyway; untimed
        import_members(store=store, ladder=DEFAULT_LADDER, source=network, batch_size=5000)
    ids = [r["id"] for r in read(store, "sample_ids", {"limit": 200_000})]
    measures: dict[str, Callable[[], dict[str, Any]]] = {
        "store_tier": lambda: store_tier_figure(store, ids, args.reads),
        "http_tier": lambda: http_tier_figure(store, ids, args.reads),
        "downline": lambda: downline_figure(store),
        "deep_writes": lambda: deep_writes_figure(store, args.writes),
        "hot_root": lambda: hot_root_figure(store, args.writes),
    }
    for name, measure in measures.items():
        if name in wanted:
            figures[name] = measure()
    for name, figure in figures.items():
        log(f"{name} {figure}")
    return figures


def import_figure(
    store: CypherStore, network: Path, rows: list[dict[str, Any]], batch_size: int
) -> dict[str, Any]:
    started = time.perf_counter()
    report = import_members(
        store=store, ladder=DEFAULT_LADDER, source=network, batch_size=batch_size
    )
    ours = time.perf_counter() - started
    assert not report.problems, report.problems[:5]
    raw = raw_load_seconds(store, network, batch_size)
    figure: dict[str, Any] = {
        "ours_s": round(ours, 1),
        "raw_unwind_s": round(raw, 1),
        "ratio": round(ours / raw, 2),
        "created": report.created,
        "marked_paid": report.marked_paid,
    }
    if isinstance(store, FalkorDBStore):
        # `refgraph import --initial` into the emptied graph (on Neo4j it stops and restarts
        # the server for the offline importer: measured by its own command, see README).
        store.drop_everything()
        store.ping()  # recreates the graph key the migrations read
        apply_migrations(store, PROJECT_ROOT / "migrations")
        started = time.perf_counter()
        initial_load_statements(store=store, ladder=DEFAULT_LADDER, source=network)
        initial = time.perf_counter() - started
        figure.update(initial_s=round(initial, 1), initial_ratio=round(initial / raw, 2))
    return figure


def raw_load_seconds(store: CypherStore, network: Path, batch_size: int) -> float:
    """The same file, parsed with the csv module and loaded with two bare UNWINDs."""
    target = raw_target(store)
    started = time.perf_counter()
    rows = read_rows(network)
    for start in range(0, len(rows), batch_size):
        target(BENCH_QUERIES["raw_load_members"], {"rows": rows[start : start + batch_size]})
    edges = [r for r in rows if r["inviter_id"]]
    for start in range(0, len(edges), batch_size):
        target(BENCH_QUERIES["raw_load_edges"], {"rows": edges[start : start + batch_size]})
    elapsed = time.perf_counter() - started
    drop_raw(store)
    return elapsed


def raw_target(store: CypherStore) -> Callable[[str, dict[str, Any]], Any]:
    if isinstance(store, FalkorDBStore):
        graph = store.client.select_graph(store.graph_name + "_raw")
        graph.query("CREATE INDEX FOR (m:RawMember) ON (m.id)")
        return lambda query, params: graph.query(query, params)
    assert isinstance(store, Neo4jStore)
    store.driver.execute_query(
        "CREATE INDEX raw_member_id IF NOT EXISTS FOR (m:RawMember) ON (m.id)"
    )
    store.driver.execute_query("CALL db.awaitIndexes(300)")
    return lambda query, params: store.driver.execute_query(query, params)


def drop_raw(store: CypherStore) -> None:
    if isinstance(store, FalkorDBStore):
        store.client.select_graph(store.graph_name + "_raw").delete()
    else:
        assert isinstance(store, Neo4jStore)
        with store.driver.session() as session:
            session.run(BENCH_QUERIES["delete_raw"]).consume()


def store_tier_figure(store: CypherStore, ids: list[str], samples: int) -> dict[str, Any]:
    raw = raw_reader(store)
    picks = random.Random(1).choices(ids, k=samples)
    ours, bare = interleaved(
        lambda i: get_tier_status(
            store=store,
            ladder=DEFAULT_LADDER,
            spend_ladder=DEFAULT_SPEND_LADDER,
            member_id=i,
            now=int(time.time() * 1000),
        ),
        lambda i: raw(i),
        picks,
    )
    return summary(ours, bare, "p50")


def raw_reader(store: CypherStore) -> Callable[[str], Any]:
    query = BENCH_QUERIES["raw_point_lookup"]
    if isinstance(store, FalkorDBStore):
        return lambda member_id: store.graph.ro_query(query, {"id": member_id}).result_set
    assert isinstance(store, Neo4jStore)
    from neo4j import RoutingControl

    return lambda member_id: store.driver.execute_query(
        query, {"id": member_id}, routing_=RoutingControl.READ
    )


def http_tier_figure(store: CypherStore, ids: list[str], samples: int) -> dict[str, Any]:
    settings = Settings(api_keys={KEY: "admin"})
    app = create_app(settings, store=store)

    @app.get("/bench/constant")
    def constant() -> dict[str, str]:
        return {"tier": "bee"}

    picks = random.Random(2).choices(ids, k=samples)
    with (
        serving(app) as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}) as client,
    ):
        for _ in range(200):  # warm both paths
            client.get("/bench/constant")
            client.get(f"/v1/members/{picks[0]}/tier")
        ours, bare = interleaved(
            lambda i: client.get(f"/v1/members/{i}/tier").raise_for_status(),
            lambda i: client.get("/bench/constant").raise_for_status(),
            picks,
        )
    return {
        **summary(ours, bare, "p50"),
        **{k: v for k, v in summary(ours, bare, "p99").items() if "p99" in k},
    }


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Runs the app under uvicorn (one worker, as `refgraph serve` does) in a thread."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


def downline_figure(store: CypherStore) -> dict[str, Any]:
    largest = read(store, "largest_downlines", {"limit": 10})
    rows = []
    for entry in largest:
        counter = median_seconds(
            partial(get_downline_counts, store=store, member_id=entry["id"], max_depth=10), 21
        )
        started = time.perf_counter()
        total, _ = store.downline_by_traversal(entry["id"])
        traversal = time.perf_counter() - started
        assert total == entry["total"], (entry, total)
        rows.append(
            {
                "id": entry["id"],
                "downline": total,
                "counter_ms": ms(counter),
                "traversal_ms": ms(traversal),
                "ratio": round(traversal / counter),
            }
        )
    return {"largest_ratio": rows[0]["ratio"], "subtrees": rows}


def deep_writes_figure(store: CypherStore, writes: int) -> dict[str, Any]:
    deepest = read(store, "deepest_member", {})[0]
    shallow = read(store, "shallow_members", {"limit": 1})[0]["id"]
    tag = f"dw{time.time_ns()}"
    deep_times, shallow_times = interleaved(
        lambda k: register_new(store, f"{tag}-deep-{k}", deepest["id"]),
        lambda k: register_new(store, f"{tag}-shallow-{k}", shallow),
        list(range(writes)),
    )
    deep_rate, shallow_rate = 1 / statistics.mean(deep_times), 1 / statistics.mean(shallow_times)
    return {
        "chain_depth": deepest["depth"] + 1,
        "deep_per_s": round(deep_rate),
        "near_root_per_s": round(shallow_rate),
        "ratio": round(deep_rate / shallow_rate, 2),
    }


def hot_root_figure(store: CypherStore, writes: int) -> dict[str, Any]:
    """Every write under one root: each statement on its own ("direct"), and through the
    group commit the API uses ("grouped"), with 1, 4 and 16 concurrent clients."""
    root = read(store, "largest_downlines", {"limit": 1})[0]["id"]
    tag = f"hr{time.time_ns()}"
    rates: dict[str, float] = {}
    grouped = CoalescingStore(store)
    try:
        for path, target in (("direct", store), ("grouped", grouped)):
            for clients in (1, 4, 16):
                names = [f"{tag}-{path}-{clients}-{k}" for k in range(writes)]
                started = time.perf_counter()
                with ThreadPoolExecutor(clients) as pool:
                    list(pool.map(lambda n, t=target: register_new(t, n, root), names))
                rates[f"{path}_{clients}_per_s"] = round(writes / (time.perf_counter() - started))
    finally:
        grouped.stop()
    for path in ("direct", "grouped"):
        rates[f"{path}_16_vs_1"] = round(rates[f"{path}_16_per_s"] / rates[f"{path}_1_per_s"], 2)
    return rates


def register_new(store: CypherStore, member_id: str, inviter_id: str) -> None:
    _, created = register_member(
        store=store,
        ladder=DEFAULT_LADDER,
        request=MemberCreate(id=member_id, inviter_id=inviter_id),
        now=int(time.time() * 1000),
    )
    assert created


def interleaved(
    ours: Callable[[Any], Any], bare: Callable[[Any], Any], inputs: list[Any]
) -> tuple[list[float], list[float]]:
    """Alternates the two measurements so that drift on a shared machine hits both alike."""
    ours_s: list[float] = []
    bare_s: list[float] = []
    for item in inputs:
        for fn, sink in ((ours, ours_s), (bare, bare_s)):
            started = time.perf_counter()
            fn(item)
            sink.append(time.perf_counter() - started)
    return ours_s, bare_s


def summary(ours: list[float], bare: list[float], which: str) -> dict[str, Any]:
    q = 50 if which == "p50" else 99
    a, b = percentile(ours, q), percentile(bare, q)
    return {
        f"ours_{which}_ms": ms(a),
        f"baseline_{which}_ms": ms(b),
        f"ratio_{which}": round(a / b, 2),
    }


def percentile(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def median_seconds(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def read(store: CypherStore, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    query = BENCH_QUERIES[name]
    if isinstance(store, FalkorDBStore):
        result = store.graph.ro_query(query, params)
        columns = [c[1] for c in result.header]
        return [dict(zip(columns, row, strict=True)) for row in result.result_set]
    assert isinstance(store, Neo4jStore)
    records, _, _ = store.driver.execute_query(query, params)
    return [r.data() for r in records]


def read_rows(network: Path) -> list[dict[str, Any]]:
    with network.open(newline="") as handle:
        return [
            {
                "id": r["id"],
                "inviter_id": r["inviter_id"] or None,
                "name": r["name"] or None,
                "joined_at": int(r["joined_at"]),
                "paid_at": int(r["paid_at"]) if r["paid_at"] else None,
            }
            for r in csv.DictReader(handle)
        ]


@contextmanager
def fresh_store(
    backend: Backend, neo4j_url: str | None, *, keep: bool = False
) -> Iterator[CypherStore]:
    """An empty store with the migrations applied; `keep` (Neo4j only) keeps what is there."""
    if backend is Backend.FALKORDB:
        with tempfile.TemporaryDirectory(prefix="refgraph-bench-") as folder:
            store = open_store(Settings(graph_url=f"embedded:{folder}"), exclusive=True)
            try:
                yield store
            finally:
                store.close()
        return
    url = (
        neo4j_url
        or subprocess.run(
            [str(PROJECT_ROOT / "scripts" / "neo4j-local"), "url"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    store = open_store(Settings(graph_url=url), migrate=False)
    assert isinstance(store, Neo4jStore)
    if not keep:
        store.drop_everything()
    from app.store.migrations import apply_migrations

    apply_migrations(store, PROJECT_ROOT / "migrations")
    try:
        yield store
    finally:
        store.close()


def print_table(results: dict[str, Any]) -> None:
    backends = list(results["backends"])
    lines = [
        f"figure ({results['members']:,} members) | " + " | ".join(backends),
        "--- | " + " | ".join("---" for _ in backends),
    ]
    picks = [
        ("http tier p50 ratio (goal p99 ≤ 2x)", "http_tier", "ratio_p50"),
        ("http tier p99 ratio", "http_tier", "ratio_p99"),
        ("store tier p50 ratio (goal ≤ 1.5x)", "store_tier", "ratio_p50"),
        ("downline traversal/counter, largest (goal ≥ 1000x)", "downline", "largest_ratio"),
        ("import ours/raw (goal ≤ 3x)", "import", "ratio"),
        ("deep/near-root writes (goal ≥ 0.5x)", "deep_writes", "ratio"),
        ("hot root, direct: 1 client /s", "hot_root", "direct_1_per_s"),
        ("hot root, direct: 4 clients /s", "hot_root", "direct_4_per_s"),
        ("hot root, direct: 16 clients /s", "hot_root", "direct_16_per_s"),
        ("hot root, grouped: 1 client /s", "hot_root", "grouped_1_per_s"),
        ("hot root, grouped: 4 clients /s", "hot_root", "grouped_4_per_s"),
        ("hot root, grouped: 16 clients /s", "hot_root", "grouped_16_per_s"),
    ]
    for label, figure, key in picks:
        values = [str(results["backends"][b].get(figure, {}).get(key, "-")) for b in backends]
        lines.append(f"{label} | " + " | ".join(values))
    print("\n".join(lines))


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


if __name__ == "__main__":
    main()
