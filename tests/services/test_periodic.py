"""Work the server does on its own: rounds come every interval, a failing round does not stop
the next, 0 means never, and stop() ends it."""

from __future__ import annotations

import threading
import time

from app.services.periodic import Periodic


def test_rounds_repeat_survive_failures_and_stop() -> None:
    rounds: list[float] = []
    three = threading.Event()

    def action() -> None:
        rounds.append(time.monotonic())
        if len(rounds) >= 3:
            three.set()
        if len(rounds) == 1:
            raise RuntimeError("the first round fails")

    periodic = Periodic("test", 0.01, action)
    assert three.wait(5)
    periodic.stop()
    done = len(rounds)
    time.sleep(0.05)
    assert len(rounds) == done  # nothing after stop()


def test_zero_is_never() -> None:
    calls: list[int] = []
    periodic = Periodic("never", 0, lambda: calls.append(1))
    time.sleep(0.05)
    periodic.stop()
    assert calls == []
