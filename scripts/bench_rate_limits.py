"""What the rate limits cost the storefront's hot read: GET /v1/members/{id}/tier over HTTP
(uvicorn, one worker, as `refgraph serve` runs) with a storefront key, the same app with no
limits and with limits that refuse nothing, interleaved request by request (the limiter's
limits are switched between the two requests of a pair), p50 and p99 and their ratio.

    python scripts/bench_rate_limits.py --members 2000 --reads 2000 --backends falkordb
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import fresh_store, interleaved, log, read, serving, summary

from app.api.main import create_app
from app.core.config import PROJECT_ROOT, Settings
from app.domain.rate_limits import NO_LIMITS, RateLimits, parse_rate_limits
from app.domain.tiers import DEFAULT_LADDER
from app.services.generator import generate_network
from app.services.importer import import_members
from app.store.catalogue import Backend
from app.store.cypher_store import CypherStore

KEY = "bench-storefront-key"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--reads", type=int, default=2000, help="requests per side")
    parser.add_argument("--backends", default="falkordb")
    parser.add_argument("--neo4j-url", default=None)
    parser.add_argument(
        "--limits",
        default="reads=1000/2000,writes=200/400,jobs=1/5",
        help="REFGRAPH_RATE_LIMITS of the limited side (the defaults: none is refused)",
    )
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench-results")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    network = args.out / f"network-{args.members}.csv"
    if not network.exists():
        generate_network(members=args.members, out=network, seed=7)
    limited = RateLimits.model_validate(parse_rate_limits(args.limits))
    results: dict[str, Any] = {"members": args.members, "reads": args.reads, "backends": {}}
    for backend in args.backends.split(","):
        log(f"=== {backend}")
        with fresh_store(Backend(backend), args.neo4j_url) as store:
            import_members(store=store, ladder=DEFAULT_LADDER, source=network, batch_size=5000)
            figure = tier_figure(store, limited, args.reads)
        log(f"{backend} {figure}")
        results["backends"][backend] = figure
    (args.out / f"rate-limits-{args.members}.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


def tier_figure(store: CypherStore, limited: RateLimits, samples: int) -> dict[str, Any]:
    settings = Settings(
        api_keys={KEY: "storefront"},
        rate_limits=NO_LIMITS,
        release_interval_s=0,
        webhook_interval_s=0,
    )
    app = create_app(settings, store=store)
    limiter = app.state.rate_limiter
    ids = [row["id"] for row in read(store, "sample_ids", {"limit": 200_000})]
    picks = random.Random(3).choices(ids, k=samples)
    refused = 0

    def tier(client: httpx.Client, limits: RateLimits, member_id: str) -> None:
        nonlocal refused
        limiter.limits = limits
        answer = client.get(f"/v1/members/{member_id}/tier")
        refused += answer.status_code == 429
        if answer.status_code != 429:
            answer.raise_for_status()

    with (
        serving(app) as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}) as client,
    ):
        for member_id in picks[:200]:  # warm both sides
            tier(client, limited, member_id)
            tier(client, NO_LIMITS, member_id)
        started = time.perf_counter()
        ours, bare = interleaved(
            lambda i: tier(client, limited, i), lambda i: tier(client, NO_LIMITS, i), picks
        )
        seconds = time.perf_counter() - started
    p50 = summary(ours, bare, "p50")
    p99 = summary(ours, bare, "p99")
    return {
        "limited_p50_ms": p50["ours_p50_ms"],
        "unlimited_p50_ms": p50["baseline_p50_ms"],
        "ratio_p50": p50["ratio_p50"],
        "limited_p99_ms": p99["ours_p99_ms"],
        "unlimited_p99_ms": p99["baseline_p99_ms"],
        "ratio_p99": p99["ratio_p99"],
        "requests_per_s": round(2 * samples / seconds),
        "refused": refused,
    }


if __name__ == "__main__":
    main()
