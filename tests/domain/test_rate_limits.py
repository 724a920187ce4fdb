"""The token bucket and the rate limits' settings (app/domain/rate_limits.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.config import Settings, load_settings
from app.core.errors import InvalidInput
from app.domain.rate_limits import (
    Bucket,
    Limit,
    RateLimits,
    admit,
    parse_rate_limits,
    route_class,
)
from tests.conftest import make_settings


def run(limit: Limit, times: list[float]) -> list[bool]:
    bucket: Bucket | None = None
    admitted = []
    for now in times:
        admission = admit(bucket, limit, now)
        bucket = admission.bucket
        admitted.append(admission.admitted)
    return admitted


def test_a_burst_then_the_rate() -> None:
    limit = Limit(rate=2, burst=3)
    assert run(limit, [0.0] * 5) == [True, True, True, False, False]
    bucket = Bucket(tokens=0.0, at=10.0)
    refused = admit(bucket, limit, 10.2)
    assert not refused.admitted
    assert refused.wait_s == pytest.approx(0.3)
    assert refused.retry_after_s == 1
    assert refused.bucket.tokens == pytest.approx(0.4)  # took nothing
    assert refused.bucket.at == 10.2
    assert admit(refused.bucket, limit, 10.5).admitted


def test_retry_after_is_whole_seconds_at_least_one() -> None:
    slow = Limit(rate=0.1, burst=1)
    refused = admit(Bucket(tokens=0.0, at=0.0), slow, 0.5)
    assert refused.wait_s == pytest.approx(9.5)
    assert refused.retry_after_s == 10


def test_a_bucket_never_holds_more_than_its_burst() -> None:
    limit = Limit(rate=100, burst=2)
    assert run(limit, [0.0, 0.0, 3600.0, 3600.0, 3600.0]) == [True, True, True, True, False]


def test_a_clock_that_steps_back_refills_nothing() -> None:
    limit = Limit(rate=1, burst=1)
    first = admit(None, limit, 100.0)
    assert not admit(first.bucket, limit, 50.0).admitted


def test_a_rate_of_zero_is_no_limit() -> None:
    assert all(run(Limit(rate=0, burst=1), [0.0] * 1000))


@given(
    rate=st.floats(min_value=0.01, max_value=1000),
    burst=st.integers(min_value=1, max_value=50),
    gaps=st.lists(st.floats(min_value=0, max_value=2), min_size=1, max_size=200),
)
def test_never_more_than_burst_plus_rate_times_t_in_any_window(
    rate: float, burst: int, gaps: list[float]
) -> None:
    times = []
    now = 0.0
    for gap in gaps:
        now += gap
        times.append(now)
    admitted = run(Limit(rate=rate, burst=burst), times)
    admitted_at = [t for t, ok in zip(times, admitted, strict=True) if ok]
    for i, start in enumerate(admitted_at):
        for j in range(i, len(admitted_at)):
            count = j - i + 1
            assert count <= burst + rate * (admitted_at[j] - start) + 1e-6


@given(
    rate=st.integers(min_value=1, max_value=100),
    burst=st.integers(min_value=1, max_value=50),
    seconds=st.integers(min_value=1, max_value=20),
)
def test_a_steady_caller_at_the_rate_is_never_refused(rate: int, burst: int, seconds: int) -> None:
    """Requests spaced exactly 1/rate apart, after a full bucket, are all admitted."""
    times = [k / rate for k in range(rate * seconds)]
    assert all(run(Limit(rate=rate, burst=burst), times))


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("GET", "/v1/members/m1/tier", "reads"),
        ("HEAD", "/v1/members", "reads"),
        ("GET", "/v1", "reads"),
        ("GET", "/ui/context", "reads"),
        ("GET", "/v1/jobs/abc", "reads"),
        ("POST", "/v1/members", "writes"),
        ("PUT", "/v1/plans/v1", "writes"),
        ("PATCH", "/v1/members/m1", "writes"),
        ("DELETE", "/v1/groups/g/members/m", "writes"),
        ("POST", "/v1/simulations/tiers", "writes"),
        ("POST", "/v1/jobs/connectors", "jobs"),
        ("POST", "/v1/jobs", "jobs"),
        ("GET", "/healthz", None),
        ("GET", "/readyz", None),
        ("GET", "/metrics", None),
        ("GET", "/", None),
        ("OPTIONS", "/v1/members", None),
        ("POST", "/ui/context", None),
        ("GET", "/v1x", None),
    ],
)
def test_route_classes(method: str, path: str, kind: str | None) -> None:
    assert route_class(method, path) == kind


def test_the_setting_form() -> None:
    parsed = parse_rate_limits(" reads=5/10, jobs=0 ,writes=0.5,storefront.reads=50/100,")
    limits = RateLimits.model_validate(parsed)
    assert limits.reads == Limit(rate=5, burst=10)
    assert limits.writes == Limit(rate=0.5, burst=1)
    assert limits.jobs.unlimited
    assert limits.limit_for("storefront", "reads") == Limit(rate=50, burst=100)
    assert limits.limit_for("storefront", "writes") == limits.writes
    assert limits.limit_for("auditor", "reads") == limits.reads


def test_the_defaults_are_generous() -> None:
    limits = Settings().rate_limits
    assert limits.reads == Limit(rate=1000, burst=2000)
    assert limits.writes == Limit(rate=200, burst=400)
    assert limits.jobs == Limit(rate=1, burst=5)


def test_the_setting_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFGRAPH_RATE_LIMITS", "reads=7/9,growth.jobs=2/3")
    limits = Settings().rate_limits
    assert limits.reads == Limit(rate=7, burst=9)
    assert limits.writes == Limit(rate=200, burst=400)  # left out: the default
    assert limits.limit_for("growth", "jobs") == Limit(rate=2, burst=3)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("reads", "is not class=rate/burst"),
        ("posts=1/2", "is not class=rate/burst"),
        (".reads=1/2", "is not class=rate/burst"),
        ("reads=fast", "the rate is a number"),
        ("reads=1/2.5", "the burst an integer"),
        ("reads=-1/2", "greater than or equal to 0"),
        ("reads=1/0", "greater than or equal to 1"),
        ("reads=inf/2", "finite"),
        ("boss.reads=1/2", "unknown roles ['boss']"),
    ],
)
def test_a_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch, value: str, reason: str) -> None:
    monkeypatch.setenv("REFGRAPH_RATE_LIMITS", value)
    with pytest.raises(InvalidInput) as raised:
        load_settings()
    assert "REFGRAPH_RATE_LIMITS" in str(raised.value)
    assert reason in str(raised.value)


def test_a_toml_table_passes_through() -> None:
    settings = make_settings(rate_limits={"jobs": {"rate": 3, "burst": 4}})
    assert settings.rate_limits.jobs == Limit(rate=3, burst=4)
