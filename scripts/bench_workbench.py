"""Growth workbench benchmark, on each backend, on the generated network:

    python scripts/bench_workbench.py --members 1000000

Figures (issue "Growth team workbench"):
  tree         GET /v1/members/{id}/tree for the widest member (most direct invitees),
               depth 2 and 50 children a node, over HTTP: p50/p99, against the tier read
               of the same member over the same connection; with the response's nodes and
               bytes, and the service's own p50 (store queries and models, no HTTP); the
               chart page's reads (her tree four a node and her upline) against the tier
               read; and the tree `?as_of=` now (a walk of her downline through the
               histories) against the same tree from the counters
  simulation   POST /v1/simulations/tiers (phoenix at 40 instead of 51, the seed plan's
               training allowance re-priced over the orders' month): seconds, median of 3
  circles      `refgraph import-groups` of --circles circles of --circle-size members
               each, drawn at random (seeded): seconds and memberships a second
  connectors   one connector run (`refgraph connectors`, 64 sampled sources above 2,000
               members), over members and the circles: wall time and the process's peak
               resident memory before and after it
  top_k        GET /v1/connectors?limit=100 over HTTP, p50/p99, against the tier read
  leaderboards GET /v1/leaderboards/{board}?period=… over HTTP, p50/p99 against a tier read,
               for each board (sharers included) at `month` (the orders' month) and `all`,
               overall and (after the circles are imported) in a random circle; with the
               service's reuse of a board for 60 s, and the seconds the first (computing)
               ask took
  search       GET /v1/members?… over HTTP, p50/p99 against a tier read, per kind of search:
               `id` (a random member's id less its last character: a few hits),
               `name` ("Member " and four digits: ~100 hits at 1M), `broad` ("Member 9":
               a ninth of everyone, sorted by id for the first page), `inviter` (a
               random inviter's invitees, largest downline first) and `all` (no filter,
               largest downline first: every member sorted)
The orders come from scripts/bench_ledger.py's generator (--orders of them).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import (
    KEY,
    fresh_store,
    interleaved,
    log,
    median_seconds,
    read,
    read_rows,
    serving,
    summary,
)
from bench_ledger import SEED_PLAN, make_orders, post_timed

from app.api.main import create_app
from app.core.config import PROJECT_ROOT, Settings
from app.domain.leaderboards import Board
from app.domain.plans import DAY_MS, Plan
from app.domain.simulation import TierProposal
from app.domain.tiers import DEFAULT_LADDER
from app.services.connectors import run_connectors
from app.services.generator import generate_network
from app.services.group_importer import import_groups
from app.services.importer import import_members
from app.services.plans import load_plan
from app.services.simulation import simulate_tiers
from app.services.tree import member_tree
from app.store.catalogue import Backend
from app.store.cypher_store import CypherStore


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--backends", default="falkordb,neo4j")
    parser.add_argument("--neo4j-url", default=None, help="default: scripts/neo4j-local url")
    parser.add_argument("--samples", type=int, default=500, help="tree requests")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench-results")
    parser.add_argument("--figures", default="simulation,tree,search,connectors,leaderboards")
    parser.add_argument("--circles", type=int, default=10_000, help="0: none")
    parser.add_argument("--circle-size", type=int, default=300)
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    network = args.out / f"network-{args.members}.csv"
    if not network.exists():
        generate_network(members=args.members, out=network, seed=7)
    rows = read_rows(network)
    circles = args.out / f"circles-{args.members}-{args.circles}x{args.circle_size}.csv"
    if args.circles and not circles.exists():
        write_circles(circles, [row["id"] for row in rows], args.circles, args.circle_size)
    args.circles_csv = circles if args.circles else None
    results: dict[str, Any] = {
        "members": args.members,
        "circles": args.circles,
        "circle_size": args.circle_size,
        "backends": {},
    }
    for backend in args.backends.split(","):
        log(f"=== {backend}")
        with fresh_store(Backend(backend), args.neo4j_url) as store:
            results["backends"][backend] = run_figures(store, network, rows, args)
        (args.out / f"workbench-{args.members}.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


def run_figures(
    store: CypherStore, network: Path, rows: list[dict[str, Any]], args: argparse.Namespace
) -> dict[str, Any]:
    import_members(store=store, ladder=DEFAULT_LADDER, source=network, batch_size=5000)
    last_join = max(r["joined_at"] for r in rows)
    plan = Plan.model_validate_json(SEED_PLAN.read_text()).model_copy(
        update={"version": "bench", "effective_from": last_join + DAY_MS}
    )
    load_plan(store=store, ladder=DEFAULT_LADDER, plan=plan, now=plan.effective_from)
    for order in make_orders(rows, args.orders, plan.effective_from):
        post_timed(store, order)
    log(f"network, plan and {args.orders} orders loaded")
    wanted = args.figures.split(",")
    figures: dict[str, Any] = {}
    if "simulation" in wanted:
        figures["simulation"] = simulation_figure(store, plan.effective_from)
        log(f"simulation {figures['simulation']}")
    if "tree" in wanted:
        figures["tree"] = tree_figure(store, args.samples)
        log(f"tree {figures['tree']}")
    if "search" in wanted:
        figures["search"] = search_figure(store, rows, args.samples)
        log(f"search {figures['search']}")
    if "connectors" in wanted:
        if args.circles_csv is not None:
            figures["circles"] = circles_figure(store, args.circles_csv)
            log(f"circles {figures['circles']}")
        figures["connectors"] = connectors_figure(store)
        log(f"connectors {figures['connectors']}")
        figures["top_k"] = top_k_figure(store, args.samples)
        log(f"top_k {figures['top_k']}")
    if "leaderboards" in wanted:
        circles = args.circles_csv is not None and "connectors" in wanted
        figures["leaderboards"] = leaderboards_figure(
            store, plan.effective_from, args.samples, circles=circles
        )
        log(f"leaderboards {figures['leaderboards']}")
    return figures


def write_circles(out: Path, member_ids: list[str], circles: int, size: int) -> None:
    """`circles` circles (a third each topic, store, region) of `size` distinct members
    drawn at random: a member is in circles x size / members of them on average."""
    draw = random.Random(11)
    kinds = ("topic", "store", "region")
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["group_id", "kind", "name", "member_id"])
        for number in range(circles):
            kind = kinds[number % 3]
            for member_id in draw.sample(member_ids, size):
                writer.writerow([f"c{number}", kind, f"{kind} {number}", member_id])


def circles_figure(store: CypherStore, source: Path) -> dict[str, Any]:
    started = time.perf_counter()
    report = import_groups(store=store, source=source)
    seconds = time.perf_counter() - started
    assert not report.problems, report.problems[:5]
    return {
        "seconds": round(seconds, 1),
        "memberships": report.memberships_added,
        "memberships_per_s": round(report.memberships_added / seconds),
    }


def connectors_figure(store: CypherStore) -> dict[str, Any]:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    run = run_connectors(store=store, ladder=DEFAULT_LADDER, now=int(time.time() * 1000))
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": round(seconds, 1),
        "members": run.members,
        "approximate": run.approximate,
        "peak_rss_mb_before": round(before),
        "peak_rss_mb_after": round(after),
    }


def top_k_figure(store: CypherStore, samples: int) -> dict[str, Any]:
    [widest] = read(store, "widest_members", {"limit": 1})
    app = create_app(Settings(api_keys={KEY: "admin"}), store=store)
    with (
        serving(app) as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}) as client,
    ):
        for _ in range(20):
            client.get("/v1/connectors?limit=100").raise_for_status()
        ours, bare = interleaved(
            lambda i: client.get("/v1/connectors?limit=100").raise_for_status(),
            lambda i: client.get(f"/v1/members/{i}/tier").raise_for_status(),
            [widest["id"]] * samples,
        )
    return {
        **summary(ours, bare, "p50"),
        **{k: v for k, v in summary(ours, bare, "p99").items() if "p99" in k},
    }


def leaderboards_figure(
    store: CypherStore, at: int, samples: int, *, circles: bool
) -> dict[str, Any]:
    rng = random.Random(13)
    members = [row["id"] for row in read(store, "sample_ids", {"limit": 10_000})]
    circle_ids = [f"c{k}" for k in range(100)] if circles else []
    app = create_app(Settings(api_keys={KEY: "admin"}), store=store)
    figure: dict[str, Any] = {}
    with (
        serving(app) as base,
        httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {KEY}"}, timeout=300
        ) as client,
    ):
        # Every board there is (the sharers board included: its orders are all in CNY).
        for board in get_args(Board):
            for period in ("month", "all"):
                for scope in ("overall", "circle") if circle_ids else ("overall",):
                    params: dict[str, Any] = {"period": period, "at": at}
                    path = f"/v1/leaderboards/{board}"
                    count = max(samples // 10, 20)
                    asks: list[tuple[str, dict[str, Any], str]] = [
                        (
                            path,
                            params
                            | ({"circle": rng.choice(circle_ids)} if scope == "circle" else {}),
                            rng.choice(members),
                        )
                        for _ in range(count)
                    ]
                    # The first ask computes the board; the rest of the minute reuses it
                    # (REFGRAPH_LEADERBOARD_TTL_S), as the storefront's reads do.
                    started = time.perf_counter()
                    client.get(path, params=asks[0][1]).raise_for_status()
                    first_s = time.perf_counter() - started
                    ours, bare = interleaved(
                        lambda ask: client.get(ask[0], params=ask[1]).raise_for_status(),
                        lambda ask: client.get(f"/v1/members/{ask[2]}/tier").raise_for_status(),
                        asks,
                    )
                    figure[f"{board}/{period}/{scope}"] = {
                        "computed_s": round(first_s, 3),
                        **summary(ours, bare, "p50"),
                        **{k: v for k, v in summary(ours, bare, "p99").items() if "p99" in k},
                    }
    return figure


def search_figure(store: CypherStore, rows: list[dict[str, Any]], samples: int) -> dict[str, Any]:
    rng = random.Random(11)
    inviters = sorted({row["inviter_id"] for row in rows if row["inviter_id"]})
    kinds: dict[str, Callable[[], dict[str, Any]]] = {
        "id": lambda: {"q": rng.choice(rows)["id"][:-1]},
        "name": lambda: {"q": f"Member {rng.randrange(1000, 10_000)}"},
        "broad": lambda: {"q": "Member 9"},
        "inviter": lambda: {"inviter_id": rng.choice(inviters), "sort": "-downline_total"},
        "all": lambda: {"sort": "-downline_total"},
    }
    app = create_app(Settings(api_keys={KEY: "admin"}), store=store)
    figure: dict[str, Any] = {}
    with (
        serving(app) as base,
        httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {KEY}"}, timeout=120
        ) as client,
    ):
        for kind, params in kinds.items():
            count = samples if kind not in ("broad", "all") else max(samples // 20, 10)
            asks = [(params(), rng.choice(rows)["id"]) for _ in range(count)]
            hits = [len(client.get("/v1/members", params=p).json()["items"]) for p, _ in asks[:5]]
            ours, bare = interleaved(
                lambda ask: client.get("/v1/members", params=ask[0]).raise_for_status(),
                lambda ask: client.get(f"/v1/members/{ask[1]}/tier").raise_for_status(),
                asks,
            )
            figure[kind] = {
                "first_page_hits": hits,
                **summary(ours, bare, "p50"),
                **{k: v for k, v in summary(ours, bare, "p99").items() if "p99" in k},
            }
    return figure


def simulation_figure(store: CypherStore, plan_from: int) -> dict[str, Any]:
    steps = [step.model_dump() for step in DEFAULT_LADDER.steps]
    steps[-1]["min_paid_invites"] = 40
    proposal = TierProposal.model_validate(
        {"ladder": steps, "period": {"from": plan_from - DAY_MS, "to": plan_from + 30 * DAY_MS}}
    )
    result = simulate_tiers(store=store, ladder=DEFAULT_LADDER, proposal=proposal)
    seconds = median_seconds(
        lambda: simulate_tiers(store=store, ladder=DEFAULT_LADDER, proposal=proposal), runs=3
    )
    return {
        "seconds": round(seconds, 2),
        "moves": [(m.from_, m.to, m.count) for m in result.moves],
        "allowance_cost": result.allowance_cost.model_dump(),
    }


def tree_figure(store: CypherStore, samples: int) -> dict[str, Any]:
    [widest] = read(store, "widest_members", {"limit": 1})
    app = create_app(Settings(api_keys={KEY: "admin"}), store=store)
    member = widest["id"]
    picks = [member] * samples
    with (
        serving(app) as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}) as client,
    ):
        tree_path = f"/v1/members/{member}/tree?depth=2&children_limit=50"
        for _ in range(20):  # warm both paths
            client.get(tree_path).raise_for_status()
            client.get(f"/v1/members/{member}/tier").raise_for_status()
        ours, bare = interleaved(
            lambda i: client.get(tree_path).raise_for_status(),
            lambda i: client.get(f"/v1/members/{i}/tier").raise_for_status(),
            picks,
        )
        body = client.get(tree_path).content
        # The chart page's two reads (her tree four a node, two deep, and her whole upline).
        chart, chart_bare = interleaved(
            lambda i: (
                client.get(
                    f"/v1/members/{member}/tree?depth=2&children_limit=4"
                ).raise_for_status(),
                client.get(f"/v1/members/{member}/upline?limit=1000").raise_for_status(),
            ),
            lambda i: client.get(f"/v1/members/{i}/tier").raise_for_status(),
            picks,
        )
        # The same tree as of now, from the histories (a walk of her downline), against the
        # tree from the counters: fewer samples, each walks everything below her.
        now = int(time.time() * 1000)
        as_of, today = interleaved(
            lambda i: client.get(f"{tree_path}&as_of={now}", timeout=600).raise_for_status(),
            lambda i: client.get(tree_path).raise_for_status(),
            picks[: max(3, samples // 100)],
        )
    service = median_seconds(
        lambda: member_tree(store=store, member_id=member, depth=2, children_limit=50), 51
    )
    return {
        "member": member,
        "direct_invitees": widest["direct"],
        "nodes": body.count(b'"downline_total"'),
        "bytes": len(body),
        "service_p50_ms": round(service * 1000, 3),
        **summary(ours, bare, "p50"),
        **{k: v for k, v in summary(ours, bare, "p99").items() if "p99" in k},
        "chart": {
            **summary(chart, chart_bare, "p50"),
            **{k: v for k, v in summary(chart, chart_bare, "p99").items() if "p99" in k},
        },
        "as_of_against_today": summary(as_of, today, "p50"),
    }


if __name__ == "__main__":
    main()
