"""The buckets of the rate limits (app/domain/rate_limits.py), one per API key and route
class, shared by every request of the process. Keys are known by a digest (`key_id`), never
by the key; only keys the guard has accepted get a bucket, so there are at most three a
configured key."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.domain.lifecycle import key_id
from app.domain.rate_limits import Admission, Bucket, Limit, RateLimits, RouteClass, admit


class RateLimiter:
    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        # Seconds, monotonic; a test sets its own.
        self.clock = clock
        self._buckets: dict[tuple[str, RouteClass], Bucket] = {}
        self._lock = threading.Lock()

    def limit_for(self, role: str, kind: RouteClass) -> Limit:
        return self.limits.limit_for(role, kind)

    def take(self, key: str, role: str, kind: RouteClass) -> Admission | None:
        """One request of `key` in class `kind`: None when no limit applies, else whether it
        is admitted (and when to retry)."""
        limit = self.limits.limit_for(role, kind)
        if limit.unlimited:
            return None
        slot = (key_id(key), kind)
        with self._lock:
            admission = admit(self._buckets.get(slot), limit, self.clock())
            self._buckets[slot] = admission.bucket
        return admission
