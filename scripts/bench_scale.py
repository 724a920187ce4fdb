"""The sources' scale: every user-facing figure at 1M and 5M members (both backends) and 20M
(Neo4j), with the time and the peak memory of the service and of the engine per step.

    python scripts/bench_scale.py --members 1000000 --circles 10000 --circle-size 300
    python scripts/bench_scale.py --members 5000000 --circles 500 --circle-size 2000 \\
        --backends falkordb --initial
    python scripts/bench_scale.py --members 5000000 --circles 500 --circle-size 2000 \\
        --backends neo4j --keep                               # after `refgraph import --initial`
    python scripts/bench_scale.py --members 20000000 --backends neo4j --circles 0 \\
        --orders 0 --figures tier,downline,tree,verify --verify-sample 1000 --keep
                                                          # after `refgraph import --initial`

Steps, on each backend, on `refgraph generate`'s network (seed 7, ~20% paid):
  load         `refgraph import` of the network, then `refgraph import-groups` of the
               circles (--circles of --circle-size members drawn at random) and --orders
               orders (scripts/bench_ledger.py's generator) posted in bulk
  tier         GET /v1/members/{id}/tier over HTTP, random members: p50/p99, against a
               constant route of the same app (interleaved)
  downline     GET /v1/members/{id}/downline/counts over HTTP, random members: p50/p99
  tree         GET /v1/members/{id}/tree?depth=2&children_limit=50 of the widest member
  whatif       POST /v1/simulations/tiers (phoenix at 40), seconds
  verify       `refgraph verify` (or `--sample N`): seconds and problems
  audit        `refgraph audit` over every order: seconds, and seconds per million entries
  connectors   one connector run over members and circles: seconds
For each step the peak resident memory of this process with its children (the service) and
of the engine's process (redis-server or the Neo4j JVM) is sampled every 0.2 s. Member
search and leaderboards do not exist yet (issue "Members you can find…"); they join this
table when they do. It writes bench-results/scale-<members>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import KEY, fresh_store, interleaved, log, read, read_rows, serving, summary
from bench_ledger import SEED_PLAN, make_orders
from bench_workbench import simulation_figure, write_circles

from app.api.main import create_app
from app.core.config import PROJECT_ROOT, Settings
from app.domain.ledger import OrderCreate
from app.domain.plans import DAY_MS, Plan
from app.domain.tiers import DEFAULT_LADDER
from app.services.audit import audit_ledger
from app.services.connectors import run_connectors
from app.services.generator import generate_network
from app.services.group_importer import import_groups
from app.services.importer import import_members
from app.services.initial_load import initial_load_statements
from app.services.orders import post_orders
from app.services.plans import load_plan
from app.services.verify import verify_sample, verify_store
from app.store.catalogue import Backend
from app.store.cypher_store import CypherStore
from app.store.falkordb_store import FalkorDBStore

STEPS = ("load", "tier", "downline", "tree", "whatif", "verify", "audit", "connectors")
ORDER_BATCH = 500


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--backends", default="falkordb,neo4j")
    parser.add_argument("--neo4j-url", default=None, help="default: scripts/neo4j-local url")
    parser.add_argument("--circles", type=int, default=10_000, help="0: none")
    parser.add_argument("--circle-size", type=int, default=300)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=2000, help="samples per read figure")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench-results")
    parser.add_argument("--figures", default=",".join(STEPS), help="a subset, comma-separated")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="Neo4j: keep the members already there (e.g. from `refgraph import --initial`); "
        "circles and orders are still added",
    )
    parser.add_argument(
        "--verify-sample",
        type=int,
        default=0,
        help="verify N random members (`refgraph verify --sample N`) instead of all",
    )
    parser.add_argument(
        "--initial",
        action="store_true",
        help="FalkorDB: load the members as `refgraph import --initial` does (on Neo4j, run "
        "that command and pass --keep)",
    )
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    network = args.out / f"network-{args.members}.csv"
    if not network.exists():
        started = time.perf_counter()
        stats = generate_network(members=args.members, out=network, seed=7)
        log(f"generated {stats.model_dump()} in {time.perf_counter() - started:.1f}s")
    results: dict[str, Any] = {
        "members": args.members,
        "circles": args.circles,
        "circle_size": args.circle_size,
        "orders": args.orders,
        "machine": f"{os.cpu_count()} cores, {total_memory_gib():.0f} GiB",
        "backends": {},
    }
    out = args.out / f"scale-{args.members}.json"
    if out.exists():  # one backend a run adds to the figures of the others
        results["backends"] = json.loads(out.read_text()).get("backends", {})
    for backend in args.backends.split(","):
        log(f"=== {backend}")
        with fresh_store(Backend(backend), args.neo4j_url, keep=args.keep) as store:
            results["backends"][backend] = run_steps(store, network, args)
        out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


def run_steps(store: CypherStore, network: Path, args: argparse.Namespace) -> dict[str, Any]:
    wanted = set(args.figures.split(","))
    sampler = PeakSampler(engine_pid(store))
    figures: dict[str, Any] = {}

    def step(name: str, measure: Callable[[], dict[str, Any]]) -> None:
        if name not in wanted:
            return
        with sampler.peak() as peak:
            started = time.perf_counter()
            figure = measure()
            figure.setdefault("seconds", round(time.perf_counter() - started, 2))
        figure.update(peak)
        figures[name] = figure
        log(f"{name} {figure}")

    step("load", lambda: load_figure(store, network, args))
    ids = [r["id"] for r in read(store, "sample_ids", {"limit": 200_000})]
    app = create_app(Settings(api_keys={KEY: "admin"}), store=store)

    @app.get("/bench/constant")
    def constant() -> dict[str, str]:
        return {"tier": "bee"}

    with (
        serving(app) as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}) as client,
    ):
        step("tier", lambda: http_figure(client, "/v1/members/{}/tier", ids, args.reads))
        step(
            "downline",
            lambda: http_figure(client, "/v1/members/{}/downline/counts", ids, args.reads),
        )
        [widest] = read(store, "widest_members", {"limit": 1})
        step(
            "tree",
            lambda: http_figure(
                client,
                "/v1/members/{}/tree?depth=2&children_limit=50",
                [widest["id"]],
                max(args.reads // 4, 100),
            ),
        )
    plan_from = latest_plan_start(store)
    if plan_from is not None:
        step("whatif", lambda: simulation_figure(store, plan_from))
    step("verify", lambda: verify_figure(store, args.verify_sample))
    step("audit", lambda: audit_figure(store))
    step("connectors", lambda: connectors_figure(store))
    return figures


def load_figure(store: CypherStore, network: Path, args: argparse.Namespace) -> dict[str, Any]:
    figure: dict[str, Any] = {}
    if args.initial:
        loaded = initial_load_statements(store=store, ladder=DEFAULT_LADDER, source=network)
        figure["initial_load_s"] = round(loaded.plan_s + loaded.load_s, 1)
        figure["created"] = loaded.members
    elif not args.keep:
        started = time.perf_counter()
        report = import_members(store=store, ladder=DEFAULT_LADDER, source=network, batch_size=5000)
        figure["import_s"] = round(time.perf_counter() - started, 1)
        figure["created"] = report.created
        figure["marked_paid"] = report.marked_paid
    rows = read_rows(network)
    if args.circles:
        circles = args.out / f"circles-{args.members}-{args.circles}x{args.circle_size}.csv"
        if not circles.exists():
            write_circles(circles, [row["id"] for row in rows], args.circles, args.circle_size)
        started = time.perf_counter()
        groups = import_groups(store=store, source=circles)
        figure["circles_s"] = round(time.perf_counter() - started, 1)
        figure["memberships"] = groups.memberships_added
    if args.orders:
        last_join = max(r["joined_at"] for r in rows)
        plan = Plan.model_validate_json(SEED_PLAN.read_text()).model_copy(
            update={"version": "bench", "effective_from": last_join + DAY_MS}
        )
        load_plan(store=store, ladder=DEFAULT_LADDER, plan=plan, now=plan.effective_from)
        orders = make_orders(rows, args.orders, plan.effective_from)
        del rows
        started = time.perf_counter()
        posted = sum(len(batch) for batch in post_in_bulk(store, orders))
        seconds = time.perf_counter() - started
        figure["orders_posted"] = posted
        figure["orders_per_s"] = round(posted / seconds)
    return figure


def post_in_bulk(store: CypherStore, orders: list[OrderCreate]) -> Iterator[list[Any]]:
    """Batches of distinct buyers (what `post_orders` takes): a buyer's k-th order goes in
    round k, so each buyer's orders are posted in the order they were placed."""
    rounds: list[list[OrderCreate]] = []
    seen: dict[str, int] = {}
    for order in sorted(orders, key=lambda order: order.placed_at):
        k = seen.get(order.buyer_id, 0)
        seen[order.buyer_id] = k + 1
        if k == len(rounds):
            rounds.append([])
        rounds[k].append(order)
    for orders_of_round in rounds:
        for start in range(0, len(orders_of_round), ORDER_BATCH):
            batch = orders_of_round[start : start + ORDER_BATCH]
            now = max(order.placed_at for order in batch)
            yield post_orders(store=store, ladder=DEFAULT_LADDER, requests=batch, now=now)


def http_figure(client: httpx.Client, path: str, ids: list[str], samples: int) -> dict[str, Any]:
    picks = random.Random(3).choices(ids, k=samples)
    for member_id in picks[:50]:  # warm both paths
        client.get(path.format(member_id)).raise_for_status()
        client.get("/bench/constant").raise_for_status()
    ours, bare = interleaved(
        lambda i: client.get(path.format(i)).raise_for_status(),
        lambda i: client.get("/bench/constant").raise_for_status(),
        picks,
    )
    return {
        **summary(ours, bare, "p50"),
        **{k: v for k, v in summary(ours, bare, "p99").items() if "p99" in k},
    }


def latest_plan_start(store: CypherStore) -> int | None:
    plans = store.plans()
    return max((plan.effective_from for plan in plans), default=None)


def verify_figure(store: CypherStore, sample: int) -> dict[str, Any]:
    report = (
        verify_sample(store=store, ladder=DEFAULT_LADDER, size=sample)
        if sample
        else verify_store(store=store, ladder=DEFAULT_LADDER)
    )
    return {"members_checked": report.members_checked, "problems": len(report.problems)}


def audit_figure(store: CypherStore) -> dict[str, Any]:
    started = time.perf_counter()
    report = audit_ledger(store=store, ladder=DEFAULT_LADDER)
    seconds = time.perf_counter() - started
    entries = report.entries
    return {
        "seconds": round(seconds, 1),
        "orders": report.orders,
        "entries": entries,
        "differences": len(report.differences),
        "s_per_million_entries": round(seconds / entries * 1e6) if entries else None,
    }


def connectors_figure(store: CypherStore) -> dict[str, Any]:
    run = run_connectors(store=store, ladder=DEFAULT_LADDER, now=int(time.time() * 1000))
    return run.model_dump(mode="json")


# --- memory --------------------------------------------------------------------------------


def engine_pid(store: CypherStore) -> int | None:
    """The engine's process: the embedded redis-server, or the local Neo4j's JVM."""
    if isinstance(store, FalkorDBStore):
        return store.engine.engine_pid() if store.engine is not None else None
    home = Path(os.environ.get("NEO4J_LOCAL_DIR", PROJECT_ROOT / ".neo4j-local"))
    recorded = (home / "neo4j.pid").read_text().strip() if (home / "neo4j.pid").exists() else ""
    return int(recorded) if recorded.isdigit() else None


class PeakSampler:
    """Peak RSS of this process and its children, and of the engine, while a step runs."""

    def __init__(self, engine: int | None) -> None:
        self.engine = engine

    @contextmanager
    def peak(self) -> Iterator[dict[str, Any]]:
        result: dict[str, Any] = {}
        peaks = {"service": 0, "engine": 0}
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peaks["service"] = max(peaks["service"], tree_rss(os.getpid()))
                if self.engine is not None:
                    peaks["engine"] = max(peaks["engine"], rss(self.engine))
                done.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            yield result
        finally:
            done.set()
            sampler.join()
            result["service_peak_mib"] = round(peaks["service"] / 2**20)
            if self.engine is not None:
                result["engine_peak_mib"] = round(peaks["engine"] / 2**20)


def rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def tree_rss(pid: int) -> int:
    """RSS of `pid` and every descendant except the engine (workers a step starts)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss(current)
        stack.extend(child for child in children.get(current, []) if "redis" not in comm(child))
    return total


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def total_memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    return 0.0


if __name__ == "__main__":
    main()
