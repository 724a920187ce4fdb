"""Work the server does on its own every so often (releasing held entries, scheduled connector
runs): one daemon thread each, stopped with the server."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("refgraph.periodic")


class Periodic:
    """Runs `action` every `interval_s` seconds on a daemon thread (0: never). A failing
    round is logged and the next one tries again: the server must keep serving."""

    def __init__(self, name: str, interval_s: float, action: Callable[[], object]) -> None:
        self._name = name
        self._interval_s = interval_s
        self._action = action
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        if interval_s > 0:
            self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stopped.wait(self._interval_s):
            try:
                self._action()
            except Exception:
                log.exception("%s failed", self._name)

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
