"""The leaderboard cache: an answer is reused while it is younger than the TTL, never
after, and one key's answer is never another's (currency included). The sharers board's sums
on both backends: exact past 2^53, in the currency asked for."""

from __future__ import annotations

import pytest

from app.core.errors import InvalidInput
from app.domain.leaderboards import Board, BoardPeriod, Leaderboard
from app.domain.tiers import DEFAULT_LADDER
from app.services.leaderboards import BoardCache, cached_leaderboard, leaderboard
from app.services.orders import post_order
from app.store.cypher_store import CypherStore
from tests.services.test_analytics import FEB, JAN, NOW, join
from tests.services.test_orders import order


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def board(computed_at: int) -> Leaderboard:
    period = BoardPeriod(kind="month", from_=0, to=1)
    return Leaderboard(board="inviters", period=period, circle=None, items=[],
                       computed_at=computed_at)  # fmt: skip


def test_answers_are_reused_within_the_ttl_only() -> None:
    clock = Clock()
    cache = BoardCache(60, clock)
    computed: list[int] = []

    def compute() -> Leaderboard:
        computed.append(len(computed))
        return board(len(computed))

    first = cache.get(("inviters", "a"), compute)
    clock.now += 59.9
    assert cache.get(("inviters", "a"), compute) is first and len(computed) == 1
    assert cache.get(("inviters", "b"), compute) is not first and len(computed) == 2
    clock.now += 0.2  # the first is 60.1 s old
    assert cache.get(("inviters", "a"), compute).computed_at == 3


def test_a_ttl_of_zero_computes_every_time() -> None:
    cache = BoardCache(0, Clock())
    answers = [cache.get(("k",), lambda: board(1)) for _ in range(3)]
    assert len({id(answer) for answer in answers}) == 3


def sell(store: CypherStore, order_id: str, sharer: str, amount: int, at: int,
         currency: str = "CNY") -> None:  # fmt: skip
    request = order(order_id, "buyer", amount, placed_at=at, shared_by=sharer, currency=currency)
    _, created = post_order(store=store, ladder=DEFAULT_LADDER, request=request, now=NOW)
    assert created


def test_sharers_sums_are_exact_past_two_to_the_53(store: CypherStore) -> None:
    for member in ("buyer", "ann", "bea"):
        join(store, member, JAN)
    biggest = 10**15  # the largest order amount
    for n in range(11):
        sell(store, f"a{n}", "ann", biggest - (n < 9), FEB + n)
    sell(store, "b1", "bea", 10_000, FEB + 20)
    net = 9 * (biggest - 1) + 2 * biggest  # odd, past 2^53: a double cannot hold it
    assert net > 2**53 and float(net) != net
    board = leaderboard(store=store, ladder=DEFAULT_LADDER, board="sharers", period="month",
                        at=FEB, circle=None, limit=10)  # fmt: skip
    assert board.currency == "CNY"
    assert [(i.member_id, i.value, i.achieved_at) for i in board.items] == [
        ("ann", net, FEB + 10), ("bea", 10_000, FEB + 20),
    ]  # fmt: skip


def test_the_cache_keeps_each_currency_apart(store: CypherStore) -> None:
    for member in ("buyer", "ann", "bea"):
        join(store, member, JAN)
    sell(store, "a1", "ann", 5_000, FEB)
    sell(store, "b1", "bea", 7_000, FEB, currency="USD")
    cache = BoardCache(60, Clock())

    def board_of(board: Board, currency: str | None) -> Leaderboard:
        return cached_leaderboard(cache=cache, store=store, ladder=DEFAULT_LADDER, board=board,
                                  period="month", at=FEB, circle=None, limit=10,
                                  currency=currency)  # fmt: skip

    cny, usd = board_of("sharers", "CNY"), board_of("sharers", "USD")
    assert [(i.member_id, i.value) for i in cny.items] == [("ann", 5_000)]
    assert [(i.member_id, i.value) for i in usd.items] == [("bea", 7_000)]
    with pytest.raises(InvalidInput, match="CNY, USD"):
        board_of("sharers", None)
    with pytest.raises(InvalidInput, match="only the sharers board is in money"):
        board_of("inviters", "CNY")
