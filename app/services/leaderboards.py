"""Leaderboards: a board over a calendar period (and a circle), ranked."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.core.errors import InvalidInput, NotFound
from app.domain.leaderboards import (
    MONEY_BOARDS,
    Board,
    BoardItem,
    BoardPeriod,
    Leaderboard,
    Period,
    period_window,
    ranked,
)
from app.domain.text import servable_text
from app.domain.tiers import TierLadder
from app.services.analytics import sales_currency
from app.store.port import GraphStore


class BoardCache:
    """Leaderboard answers reused for `ttl_s` seconds, keyed by everything that decides
    them (board, window, circle, currency, limit); safe across the server's threads."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._answers: dict[tuple[object, ...], tuple[float, Leaderboard]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...], compute: Callable[[], Leaderboard]) -> Leaderboard:
        if self.ttl_s <= 0:
            return compute()
        now = self._clock()
        with self._lock:
            kept = self._answers.get(key)
        if kept is not None and now - kept[0] < self.ttl_s:
            return kept[1]
        answer = compute()
        with self._lock:
            # Answers past their time go when another is stored: the cache stays small.
            self._answers = {k: v for k, v in self._answers.items() if now - v[0] < self.ttl_s}
            self._answers[key] = (now, answer)
        return answer


def cached_leaderboard(
    *,
    cache: BoardCache,
    store: GraphStore,
    ladder: TierLadder,
    board: Board,
    period: Period,
    at: int,
    circle: str | None,
    limit: int,
    currency: str | None = None,
) -> Leaderboard:
    """`leaderboard`, answered from `cache` while it is fresh (a board at most ttl_s old)."""
    key = (board, period, period_window(period, at), circle, currency, limit)
    return cache.get(
        key,
        lambda: leaderboard(
            store=store,
            ladder=ladder,
            board=board,
            period=period,
            at=at,
            circle=circle,
            limit=limit,
            currency=currency,
        ),
    )


def leaderboard(
    *,
    store: GraphStore,
    ladder: TierLadder,
    board: Board,
    period: Period,
    at: int,
    circle: str | None,
    limit: int,
    currency: str | None = None,
) -> Leaderboard:
    """The board's best `limit` members over the period holding `at`, in `circle` when one
    is given. A money board is in `currency`, or in the one currency its sales are in."""
    if currency is not None and board not in MONEY_BOARDS:
        raise InvalidInput(
            f"only the {', '.join(sorted(MONEY_BOARDS))} board is in money; {board} counts",
            field="currency",
        )
    if circle is not None and not store.groups_by_id([circle]):
        raise NotFound(f"circle {circle} does not exist", circle=circle)
    window = period_window(period, at)
    if board in MONEY_BOARDS and currency is None:
        currency = sales_currency(store.leaderboard_currencies(board, window, circle), None)
    rows = (
        []
        if board in MONEY_BOARDS and currency is None  # no sales to rank in the period
        else store.leaderboard(
            board,
            window,
            circle,
            limit,
            top_tier=ladder.steps[-1].tier,
            all_time=period == "all",
            currency=currency,
        )
    )
    found = {row.member_id: row for row in rows}
    items = []
    for rank, member_id, value, achieved in ranked(
        [(row.member_id, row.value, row.achieved) for row in rows]
    ):
        name = found[member_id].name
        items.append(
            BoardItem(
                rank=rank,
                member_id=member_id,
                name=None if name is None else servable_text(name),
                tier=found[member_id].tier,
                value=value,
                achieved_at=achieved,
            )
        )
    return Leaderboard(
        board=board,
        period=BoardPeriod(kind=period, from_=window[0], to=window[1]),
        circle=circle,
        currency=currency,
        items=items,
        computed_at=int(time.time() * 1000),
    )
