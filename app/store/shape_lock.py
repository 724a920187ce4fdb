"""A shared/exclusive lock over the forest's shape in this process. Registrations, paid marks
and imports read a chain of ancestors before they write its counters (FalkorDB evaluates a
statement's reads before it takes the graph's write lock; Neo4j reads without locks), which
is safe while no edge ever moves. A sponsor move or a tier history rewrite moves what they
read, so those take the lock alone, and the others share it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ShapeLock:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._sharing = 0
        self._exclusive = False
        self._waiting = 0  # exclusive holders waiting: new shared holders let them go first

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._exclusive and not self._waiting)
            self._sharing += 1
        try:
            yield
        finally:
            with self._changed:
                self._sharing -= 1
                self._changed.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._changed:
            self._waiting += 1
            self._changed.wait_for(lambda: not self._exclusive and not self._sharing)
            self._waiting -= 1
            self._exclusive = True
        try:
            yield
        finally:
            with self._changed:
                self._exclusive = False
                self._changed.notify_all()
