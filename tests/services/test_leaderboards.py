"""The leaderboard cache: an answer is reused while it is younger than the TTL, never
after, and one key's answer is never another's."""

from __future__ import annotations

from app.domain.leaderboards import BoardPeriod, Leaderboard
from app.services.leaderboards import BoardCache


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
