"""What an outbox kept for ever costs FalkorDB's order writes, and what pruning it gives back:
the same network imported into two embedded engines, one of them then given `--events`
delivered webhook events (an event and its delivery: two nodes each), and orders posted
through the order service to each in turn (A B A B, so the ratios hold on a busy machine);
then the old events are pruned as the webhook worker prunes them (the outbox_prune query,
1,000 a statement) and the orders timed again.

    python scripts/bench_outbox_prune.py --members 1000000 --events 1500000

Figures: orders/s on the engine without events and on the one with them, before and after
the prune, with the ratios; and how fast the prune deleted events."""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import log
from bench_node_growth import post_round, prepared_engines

from app.core.config import PROJECT_ROOT
from app.services.webhook_delivery import PRUNE_BATCH
from app.store.cypher_store import CypherStore
from app.store.falkordb_store import FalkorDBStore

DISPATCHED_AT = 1_000  # long before the prune's cutoff
EVENT_BATCH = 20_000
# Synthetic delivered events, as the worker leaves them: dispatched, with one delivery each.
DELIVERED_EVENTS = """
UNWIND range($first, $last) AS k
CREATE (:OutboxEvent {id: 'old-' + toString(k), type: 'ledger.entry_created',
  member_id: 'm' + toString(k), at: $at, rank: 3, data_json: '{}', written_at: $at,
  state: 'dispatched', dispatched_at: $at})
CREATE (:Delivery {id: 'dlv-' + toString(k), event_id: 'old-' + toString(k),
  webhook_id: 'bench', type: 'ledger.entry_created', member_id: 'm' + toString(k),
  written_at: $at, rank: 3, body: '{}', state: 'delivered', attempts: 1,
  next_attempt_at: null, retry_from: $at, delivered_at: $at})
"""


def add_delivered_events(store: CypherStore, count: int) -> None:
    assert isinstance(store, FalkorDBStore)
    for first in range(0, count, EVENT_BATCH):
        last = min(first + EVENT_BATCH, count) - 1
        store.graph.query(DELIVERED_EVENTS, {"first": first, "last": last, "at": DISPATCHED_AT})


def timed_rounds(
    bare: CypherStore, other: CypherStore, ids: list[str], rounds: int, size: int, tag: str
) -> dict[str, float]:
    """Orders/s on each engine, rounds interleaved, and other's rate over bare's."""
    rng = random.Random(1)
    seconds = {"bare": 0.0, "other": 0.0}
    for r in range(rounds):
        seconds["bare"] += post_round(bare, ids, rng, f"{tag}a{r}", size)
        seconds["other"] += post_round(other, ids, rng, f"{tag}b{r}", size)
    orders = rounds * size
    return {
        "bare_orders_per_s": round(orders / seconds["bare"], 1),
        "orders_per_s": round(orders / seconds["other"], 1),
        "ratio": round(seconds["bare"] / seconds["other"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=1_500_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--round", type=int, default=100, help="orders per round and side")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench-results")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        ids, bare, grown = prepared_engines(stack, args.members, args.out)
        started = time.perf_counter()
        add_delivered_events(grown, args.events)
        log(f"wrote {args.events:,} delivered events in {time.perf_counter() - started:.0f}s")
        kept = timed_rounds(bare, grown, ids, args.rounds, args.round, "kept")
        log(f"with the events kept: {kept}")
        started = time.perf_counter()
        pruned = 0
        while page := grown.prune_outbox(DISPATCHED_AT + 1, PRUNE_BATCH):
            pruned += page
        prune_s = time.perf_counter() - started
        assert pruned == args.events, (pruned, args.events)
        log(f"pruned {pruned:,} events in {prune_s:.0f}s")
        after = timed_rounds(bare, grown, ids, args.rounds, args.round, "pruned")
        log(f"after the prune: {after}")
        results: dict[str, Any] = {
            "members": len(ids),
            "events": args.events,
            "orders_per_side_and_phase": args.rounds * args.round,
            "kept": kept,
            "prune_events_per_s": round(pruned / prune_s),
            "pruned": after,
        }
    log(json.dumps(results))
    (args.out / f"outbox-prune-{args.members}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
