"""Connector-run benchmark: the betweenness estimator's accuracy against exact runs, and a
whole run (export, betweenness, the other parts, scores written back) at scale.

    # accuracy: top-20 / top-100 overlap with the exact ranking, per seed
    .venv/bin/python scripts/bench_connectors.py accuracy --members 20000 --circles 200 \\
        --circle-size 300 --seeds 1,2,3 --sources 256,1024,4096
    # a whole run on a store (a fresh embedded FalkorDB folder, or a Neo4j by URL)
    .venv/bin/python scripts/bench_connectors.py run --members 1000000 --circles 10000 \\
        --circle-size 300 --backend falkordb --sources 256
    # export and write-back only, three times each, on a network kept in --scratch
    .venv/bin/python scripts/bench_connectors.py io --members 200000 --circles 2000 \\
        --circle-size 300 --scratch /tmp/bench-200k

Networks come from `refgraph generate`'s generator (app/services/generator.py) with
circles drawn uniformly at random (so they overlap). Exact values are computed once per
network in igraph and cached in bench-results/. `run` reports the seconds of each step,
the peak RSS of this process and of the largest worker process (ru_maxrss; the workers
share the graph with the parent copy-on-write, so the sum over-counts), and the
betweenness step against igraph's own single-process call on the same arrays with the
same sources (the plain subset betweenness from the drawn members to every member). When
the store has Graph Data Science, its exact betweenness is timed beside ours. Results go
to bench-results/connectors-<mode>-<members>.json."""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import sys
import tempfile
import time
from array import array
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.config import Settings  # noqa: E402
from app.domain.connectors import (  # noqa: E402
    ConnectorArrays,
    ConnectorColumns,
    connector_graph,
    member_betweenness_arrays,
)
from app.domain.groups import GroupCreate  # noqa: E402
from app.domain.tiers import DEFAULT_LADDER  # noqa: E402
from app.services import connectors  # noqa: E402
from app.services.generator import generate_network  # noqa: E402
from app.services.importer import import_members  # noqa: E402
from app.store.cypher_store import CypherStore  # noqa: E402
from app.store.factory import open_store  # noqa: E402
from app.store.port import ConnectorScoreRow  # noqa: E402

RESULTS = ROOT / "bench-results"


def network(members: int, circles: int, size: int, seed: int, scratch: Path) -> Path:
    out = scratch / f"network-{members}-{seed}.csv"
    if not out.exists():
        generate_network(members=members, out=out, seed=seed)
    return out


def drawn_circles(members: int, circles: int, size: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    return [rng.sample(range(members), size) for _ in range(circles)]


def arrays_of(csv_path: Path, circles: list[list[int]]) -> ConnectorArrays:
    ids: list[str] = []
    inviters: list[str] = []
    joined = array("q")
    with csv_path.open(encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for row in reader:
            ids.append(row[0])
            inviters.append(row[1])
            joined.append(int(row[2]))
    index = {member_id: i for i, member_id in enumerate(ids)}
    members, circle_of = array("q"), array("q")
    for c, drawn in enumerate(circles):
        members.extend(drawn)
        circle_of.extend([c] * len(drawn))
    return ConnectorArrays(
        ids=ids,
        inviter=array("q", (index[p] if p else -1 for p in inviters)),
        joined_at=joined,
        paid=array("q", bytes(8 * len(ids))),
        circle_ids=[f"c{c}" for c in range(len(circles))],
        membership_member=members,
        membership_circle=circle_of,
    )


def top(values: Any, k: int) -> set[int]:
    return set(sorted(range(len(values)), key=lambda i: (-values[i], i))[:k])


def accuracy(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    rows = []
    for seed in args.seeds:
        drawn = drawn_circles(args.members, args.circles, args.circle_size, seed)
        arrays = arrays_of(
            network(args.members, args.circles, args.circle_size, seed, scratch), drawn
        )
        cache = RESULTS / f"exact-{args.members}-{args.circles}-{args.circle_size}-{seed}.json"
        started = time.perf_counter()
        if cache.exists():
            exact = json.loads(cache.read_text())
            exact_s = None
        else:
            exact = list(
                member_betweenness_arrays(
                    arrays, sample_sources=None, seed=0, workers=args.workers
                ).values
            )
            exact_s = time.perf_counter() - started
            cache.write_text(json.dumps(exact))
        top20, top100 = top(exact, 20), top(exact, 100)
        for sources in args.sources:
            started = time.perf_counter()
            estimate = member_betweenness_arrays(
                arrays, sample_sources=sources, seed=seed, workers=args.workers
            )
            row = {
                "seed": seed,
                "sources": sources,
                "top20": len(top(estimate.values, 20) & top20),
                "top100": len(top(estimate.values, 100) & top100),
                "error_bound": estimate.error_bound,
                "max_error_top100": max(abs(estimate.values[i] - exact[i]) for i in top100),
                "seconds": round(time.perf_counter() - started, 2),
                "exact_seconds": exact_s,
            }
            print(json.dumps(row), flush=True)
            rows.append(row)
    return {"rows": rows}


def loaded_store(args: argparse.Namespace, scratch: Path) -> tuple[CypherStore, dict[str, Any]]:
    """The store with the network and its circles; one kept in --scratch that already holds
    them is not loaded again."""
    url = args.url or f"embedded:{scratch / 'falkordb'}"
    store = open_store(Settings(graph_url=url), exclusive=url.startswith("embedded:"))
    figures: dict[str, Any] = {"backend": store.backend.value, "url": url}
    if store.member_count() == args.members:
        figures["load_s"] = None
        return store, figures
    csv_path = network(args.members, args.circles, args.circle_size, 7, scratch)
    started = time.perf_counter()
    import_members(store=store, ladder=DEFAULT_LADDER, source=csv_path)
    drawn = drawn_circles(args.members, args.circles, args.circle_size, 7)
    store.put_groups(
        [
            GroupCreate.model_validate({"id": f"c{c}", "kind": "topic", "name": f"C{c}"})
            for c in range(args.circles)
        ]
    )
    pairs = [(f"c{c}", f"m{m}") for c, ms in enumerate(drawn) for m in ms]
    for start in range(0, len(pairs), 50_000):
        store.add_group_members(pairs[start : start + 50_000])
    del pairs
    figures["load_s"] = round(time.perf_counter() - started, 1)
    return store, figures


def export_and_write(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    """The export and the write-back alone, three times each (the same rows each time)."""
    store, figures = loaded_store(args, scratch)
    try:
        exports, writes = [], []
        for _ in range(3):
            started = time.perf_counter()
            arrays = store.connector_arrays()
            exports.append(round(time.perf_counter() - started, 2))
        arrays.check()
        figures["members"] = arrays.members
        figures["memberships"] = len(arrays.membership_member)
        figures["export_s"] = exports
        # Rows made as a run makes them (parts JSON per member), with stand-in values.
        n = arrays.members
        shares = array("d", (i / n for i in range(n)))
        columns = ConnectorColumns(
            arrays.paid, arrays.paid, arrays.paid, arrays.paid, shares, shares
        )
        for k in range(3):
            started = time.perf_counter()
            store.write_connector_rows(
                (
                    ConnectorScoreRow(member_id, shares[i], columns.parts_json(i))
                    for i, member_id in enumerate(arrays.ids)
                ),
                1_000 + k,
            )
            writes.append(round(time.perf_counter() - started, 2))
        figures["write_back_s"] = writes
        figures["peak_rss_mib_self"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    finally:
        store.close()
    return figures


def whole_run(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    store, figures = loaded_store(args, scratch)
    try:
        timings: dict[str, float] = {}
        original_arrays = store.connector_arrays
        original_rows = store.write_connector_rows
        original_btw = getattr(connectors, "member_betweenness_arrays")  # noqa: B009

        def timed(name: str, call: Any) -> Any:
            def wrapper(*a: Any, **k: Any) -> Any:
                t = time.perf_counter()
                try:
                    return call(*a, **k)
                finally:
                    timings[name] = round(time.perf_counter() - t, 2)

            return wrapper

        store.connector_arrays = timed("export_s", original_arrays)  # type: ignore[method-assign]
        store.write_connector_rows = timed("write_back_s", original_rows)  # type: ignore[method-assign]
        setattr(connectors, "member_betweenness_arrays", timed("betweenness_s", original_btw))  # noqa: B010
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        run = connectors.run_connectors(
            store=store,
            ladder=DEFAULT_LADDER,
            now=int(time.time() * 1000),
            sample_sources=args.sources[0],
        )
        figures["run_s"] = round(time.perf_counter() - started, 1)
        setattr(connectors, "member_betweenness_arrays", original_btw)  # noqa: B010
        figures |= timings
        figures["run"] = run.model_dump()
        figures["peak_rss_mib_before_run"] = base // 1024
        figures["peak_rss_mib_self"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        figures["peak_rss_mib_largest_worker"] = (
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
        )
        # igraph's own call on the same arrays and sources, one process.
        arrays = store.connector_arrays()
        graph = connector_graph(arrays)
        rng = random.Random(7)
        sources = [rng.randrange(arrays.members) for _ in range(args.sources[0])]
        targets = list(range(arrays.members))
        started = time.perf_counter()
        graph.betweenness(vertices=targets, directed=False, sources=sources, targets=targets)
        figures["igraph_own_call_s"] = round(time.perf_counter() - started, 1)
        figures["betweenness_ratio"] = round(
            timings["betweenness_s"] / figures["igraph_own_call_s"], 2
        )
        if store.gds_available():
            started = time.perf_counter()
            store.gds_member_betweenness(with_circles=bool(arrays.circle_ids))
            figures["gds_exact_s"] = round(time.perf_counter() - started, 1)
        else:
            figures["gds_exact_s"] = None
    finally:
        store.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=("accuracy", "run", "io"))
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--circles", type=int, default=200)
    parser.add_argument("--circle-size", type=int, default=300)
    parser.add_argument("--seeds", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 3])
    parser.add_argument(
        "--sources", type=lambda s: [int(x) for x in s.split(",")], default=[256, 1024, 4096]
    )
    parser.add_argument("--workers", type=int, default=connectors.WORKERS)
    parser.add_argument("--backend", choices=("falkordb", "neo4j"), default="falkordb")
    parser.add_argument("--url", default=None, help="a Neo4j bolt URL for --backend neo4j")
    parser.add_argument(
        "--scratch",
        type=Path,
        default=None,
        help="a folder kept between runs for the network and the embedded store "
        "(default: a temporary one)",
    )
    args = parser.parse_args()
    if args.backend == "neo4j" and not args.url:
        parser.error("--backend neo4j needs --url")
    RESULTS.mkdir(exist_ok=True)
    modes = {"accuracy": accuracy, "run": whole_run, "io": export_and_write}
    if args.scratch is not None:
        args.scratch.mkdir(parents=True, exist_ok=True)
        figures = modes[args.mode](args, args.scratch)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-connectors-") as folder:
            figures = modes[args.mode](args, Path(folder))
    figures["args"] = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    out = RESULTS / f"connectors-{args.mode}-{args.backend}-{args.members}.json"
    out.write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
