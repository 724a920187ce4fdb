"""Rate limits: which class a request is in, what each class allows, and the token bucket.

Each API key has a bucket per route class. A bucket holds up to `burst` tokens, refills at
`rate` tokens a second, and a request takes one token: a key may send `burst` requests at
once, then `rate` a second. A rate of 0 is no limit. Pure: the time is an argument (seconds
on any monotonic clock), the buckets are kept by the caller (app/api/rate_limiter.py)."""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

RouteClass = Literal["reads", "writes", "jobs"]
ROUTE_CLASSES: tuple[RouteClass, ...] = ("reads", "writes", "jobs")
READ_METHODS = frozenset({"GET", "HEAD"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def route_class(method: str, path: str) -> RouteClass | None:
    """The class of a request, None for one no limit applies to (health, metrics, pages,
    OPTIONS). `jobs`: starting a background job (a write under /v1/jobs); following one
    (`GET /v1/jobs/{id}`, which the page polls twice a second) is a read."""
    api = path == "/v1" or path.startswith("/v1/")
    if method in READ_METHODS:
        return "reads" if api or path == "/ui/context" else None
    if method in WRITE_METHODS and api:
        return "jobs" if path == "/v1/jobs" or path.startswith("/v1/jobs/") else "writes"
    return None


class Limit(BaseModel):
    """`rate` requests a second after a burst of `burst`; a rate of 0 is no limit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rate: float = Field(ge=0, allow_inf_nan=False)
    burst: int = Field(ge=1)

    @property
    def unlimited(self) -> bool:
        return self.rate == 0

    def describe(self) -> str:
        rate = f"{self.rate:g}"
        return f"{rate} requests a second (burst {self.burst})"


class RateLimits(BaseModel):
    """A limit per route class, and optionally per role and class (`roles`: a storefront's
    key may read faster than an auditor's). A class a role does not name uses the class's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reads: Limit = Limit(rate=1000, burst=2000)
    writes: Limit = Limit(rate=200, burst=400)
    jobs: Limit = Limit(rate=1, burst=5)
    roles: dict[str, dict[RouteClass, Limit]] = Field(default_factory=dict)

    def limit_for(self, role: str, kind: RouteClass) -> Limit:
        override = self.roles.get(role, {}).get(kind)
        if override is not None:
            return override
        limit: Limit = getattr(self, kind)
        return limit


UNLIMITED = Limit(rate=0, burst=1)
NO_LIMITS = RateLimits(reads=UNLIMITED, writes=UNLIMITED, jobs=UNLIMITED)


def parse_rate_limits(text: str) -> dict[str, object]:
    """`reads=1000/2000,writes=200/400,jobs=1/5,storefront.reads=5000/10000` (class or
    role.class = rate per second / burst; the burst may be left out: then the rate, rounded
    up, at least 1). Classes left out keep their defaults. The answer is RateLimits' fields
    (a dict), which the settings validate."""
    fields: dict[str, object] = {}
    roles: dict[str, dict[str, object]] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        role, dot, kind = name.strip().rpartition(".")
        if not sep or kind not in ROUTE_CLASSES or (dot and not role):
            raise ValueError(
                f"{item!r} is not class=rate/burst or role.class=rate/burst "
                f"(classes: {', '.join(ROUTE_CLASSES)})"
            )
        rate_text, slash, burst_text = value.strip().partition("/")
        try:
            rate = float(rate_text)
            burst = int(burst_text) if slash else max(1, math.ceil(rate))
        except ValueError:
            raise ValueError(f"{item!r}: the rate is a number, the burst an integer") from None
        limit = {"rate": rate, "burst": burst}
        if dot:
            roles.setdefault(role, {})[kind] = limit
        else:
            fields[kind] = limit
    if roles:
        fields["roles"] = roles
    return fields


# A refill computed in floats may fall a hair short of the whole token a caller keeping
# exactly to the rate has earned (k/rate - (k-1)/rate < 1/rate): not a refusal.
ROUNDING = 1e-9


class Bucket(NamedTuple):
    """The tokens a bucket held at `at` (seconds)."""

    tokens: float
    at: float


class Admission(NamedTuple):
    """Whether a request is admitted, the bucket after it, and (refused) the seconds until
    a token is there."""

    admitted: bool
    bucket: Bucket
    wait_s: float

    @property
    def retry_after_s(self) -> int:
        """`Retry-After` in whole seconds, at least 1 (a client that retries at once would
        be refused again)."""
        return max(1, math.ceil(self.wait_s))


def admit(bucket: Bucket | None, limit: Limit, now: float) -> Admission:
    """One request against a bucket (None: a key's first request, a full bucket). A refused
    request takes nothing."""
    if limit.unlimited:
        return Admission(True, Bucket(float(limit.burst), now), 0.0)
    if bucket is None:
        tokens = float(limit.burst)
    else:
        elapsed = max(0.0, now - bucket.at)  # a clock that steps back refills nothing
        tokens = min(float(limit.burst), bucket.tokens + elapsed * limit.rate)
    if tokens >= 1 - ROUNDING:
        return Admission(True, Bucket(tokens - 1, now), 0.0)
    return Admission(False, Bucket(tokens, now), max(0.0, 1 - tokens) / limit.rate)
