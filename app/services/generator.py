"""A synthetic referral network shaped like the communities in DESIGN.md, written in the
import format: heavy-tailed invitation counts (a few connectors with hundreds of invitees,
most members with none to two), ~1% roots, ~20% paid, and one deliberately deep chain.
Deterministic for a seed; every inviter precedes her invitees, and joined_at grows with
the row order."""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

DEFAULT_START_MS = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1000)
DAY_MS = 86_400_000
ROOT_SHARE = 0.01
PAID_SHARE = 0.20
# Members pay between a minute and 60 days after joining.
PAY_DELAY_MS = (60_000, 60 * DAY_MS)
DEEP_CHAIN = 200
DEEP_CHAIN_FROM = 2000  # below this many members the chain is a tenth of them
WRITE_CHUNK = 10_000


class GenerationStats(BaseModel):
    members: int
    roots: int
    paid: int
    max_direct_invites: int
    max_depth: int


def generate_network(
    *,
    members: int,
    out: Path,
    seed: int = 7,
    start_ms: int = DEFAULT_START_MS,
    span_days: int = 730,
) -> GenerationStats:
    """Writes `members` rows to `out` (CSV: id,inviter_id,joined_at,paid_at,name; times in
    epoch ms) and returns the network's shape."""
    rng = random.Random(seed)
    step = max(1, span_days * DAY_MS // max(members, 1))
    chain = _deep_chain_rows(members)
    # Preferential attachment: a member's chance to be picked as inviter is proportional to
    # 1 + her invitees so far (each pick appends her again), which gives the power-law tail.
    tickets: list[int] = []
    invites = [0] * members
    depth = [0] * members
    roots = paid = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("id", "inviter_id", "joined_at", "paid_at", "name"))
        pending: list[tuple[str, str, int, int | str, str]] = []
        for row in range(members):
            inviter = _inviter(row, chain, tickets, rng)
            joined_at = start_ms + row * step + int(rng.random() * step)
            paid_at: int | str = ""
            if rng.random() < PAID_SHARE:
                paid_at = joined_at + rng.randint(*PAY_DELAY_MS)
                paid += 1
            if inviter < 0:
                roots += 1
            else:
                invites[inviter] += 1
                depth[row] = depth[inviter] + 1
                tickets.append(inviter)
            tickets.append(row)
            pending.append(
                (
                    f"m{row}",
                    "" if inviter < 0 else f"m{inviter}",
                    joined_at,
                    paid_at,
                    f"Member {row}",
                )
            )
            if len(pending) >= WRITE_CHUNK:
                writer.writerows(pending)
                pending.clear()
        writer.writerows(pending)
    return GenerationStats(
        members=members,
        roots=roots,
        paid=paid,
        max_direct_invites=max(invites, default=0),
        max_depth=max(depth, default=0),
    )


def _deep_chain_rows(members: int) -> range:
    """Rows of the deliberate chain, each invited by the row before: placed a fifth of the
    way into the file so its head hangs below an established member."""
    length = DEEP_CHAIN if members >= DEEP_CHAIN_FROM else members // 10
    first = members // 5
    return range(first, first + length)


def _inviter(row: int, chain: range, tickets: list[int], rng: random.Random) -> int:
    """The row's inviter (-1: a root)."""
    if row in chain and row != chain.start:
        return row - 1
    if row == 0 or (row not in chain and rng.random() < ROOT_SHARE):
        return -1
    return tickets[int(rng.random() * len(tickets))]
