"""What identity facts cost FalkorDB's order writes: the same network imported into two
embedded engines, one of them then given identity facts, and orders posted through the order
service to each in turn, a round of `--round` orders at a time (A B A B, so the ratio holds
on a busy machine).

    python scripts/bench_node_growth.py --members 1000000 --facts-per-member 3

Figures: orders/s on the engine without facts and on the one with them, and their ratio.
Facts were first kept as a node each; the engine's cost per write grows with its node count
(GraphBLAS matrix additions), and with three million fact nodes orders went 12 times slower
(0.083x). They are now lists on the member: 0.96x (README, Benchmarks)."""

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

from bench_core import fresh_store, log

from app.core.config import PROJECT_ROOT
from app.domain.identity import IdentityKind, MemberIdentity
from app.domain.ledger import OrderCreate
from app.domain.plans import Plan
from app.domain.tiers import DEFAULT_LADDER
from app.services.generator import generate_network
from app.services.importer import import_members
from app.services.orders import post_order
from app.services.plans import load_plan
from app.store.catalogue import Backend
from app.store.cypher_store import CypherStore

SEED_PLAN = PROJECT_ROOT / "examples" / "seed-plan.json"
PLACED = 1_900_000_000_000  # after every generated member joined
FACT_BATCH = 2_000


def facts_of(index: int, count: int) -> list[tuple[IdentityKind, str]]:
    kinds: list[tuple[IdentityKind, str]] = [
        ("phone_hash", f"{index:064x}"),
        ("device_id", f"dev-{index:012d}"),
        ("ip_prefix", f"10.{index % 256}.{index // 256 % 256}.0/24"),
        ("payout_account_hash", f"{index + 1:064x}"),
    ]
    return kinds[:count]


def prepare(store: CypherStore, network: Path) -> None:
    report = import_members(store=store, ladder=DEFAULT_LADDER, source=network, batch_size=5000)
    assert not report.problems, report.problems[:5]
    plan = Plan.model_validate_json(SEED_PLAN.read_text())
    load_plan(
        store=store,
        ladder=DEFAULT_LADDER,
        plan=plan.model_copy(update={"version": "bench-nodes", "effective_from": 0}),
        now=1,
    )


def prepared_engines(
    stack: ExitStack, members: int, out: Path
) -> tuple[list[str], CypherStore, CypherStore]:
    """The ids of a generated network of `members` (kept in `out`), and two fresh embedded
    engines each holding it with the seed plan (closed with `stack`)."""
    network = out / f"network-{members}.csv"
    if not network.exists():
        generate_network(members=members, out=network, seed=7)
    ids = [line.split(",", 1)[0] for line in network.read_text().splitlines()[1:]]
    engines = [stack.enter_context(fresh_store(Backend.FALKORDB, None)) for _ in range(2)]
    for store in engines:
        started = time.perf_counter()
        prepare(store, network)
        log(f"imported {len(ids):,} members in {time.perf_counter() - started:.0f}s")
    return ids, engines[0], engines[1]


def post_round(store: CypherStore, ids: list[str], rng: random.Random, tag: str, n: int) -> float:
    """Seconds to post `n` orders of random buyers, one at a time."""
    started = time.perf_counter()
    for i in range(n):
        order = OrderCreate(
            id=f"{tag}-{i}", buyer_id=ids[rng.randrange(len(ids))], amount=9_900,
            currency="CNY", placed_at=PLACED + i,
        )  # fmt: skip
        post_order(store=store, ladder=DEFAULT_LADDER, request=order, now=PLACED + i)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--facts-per-member", type=int, default=3, choices=range(1, 5))
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--round", type=int, default=100, help="orders per round and side")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench-results")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        ids, bare, grown = prepared_engines(stack, args.members, args.out)
        started = time.perf_counter()
        for start in range(0, len(ids), FACT_BATCH):
            batch = [
                MemberIdentity(member_id, facts_of(index, args.facts_per_member), 1)
                for index, member_id in enumerate(ids[start : start + FACT_BATCH], start)
            ]
            assert len(grown.put_identity_facts_of_members(batch, 2)) == len(batch)
        facts = args.facts_per_member * len(ids)
        log(f"wrote {facts:,} identity facts in {time.perf_counter() - started:.0f}s")
        seconds = {"bare": 0.0, "grown": 0.0}
        rng = random.Random(1)
        for r in range(args.rounds):
            seconds["bare"] += post_round(bare, ids, rng, f"a{r}", args.round)
            seconds["grown"] += post_round(grown, ids, rng, f"b{r}", args.round)
        orders = args.rounds * args.round
        results: dict[str, Any] = {
            "members": len(ids),
            "identity_facts": facts,
            "orders_per_side": orders,
            "bare_orders_per_s": round(orders / seconds["bare"], 1),
            "with_facts_orders_per_s": round(orders / seconds["grown"], 1),
            "ratio": round(seconds["bare"] / seconds["grown"], 3),
        }
    log(json.dumps(results))
    (args.out / f"node-growth-{args.members}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
