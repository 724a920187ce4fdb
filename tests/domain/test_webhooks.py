"""The retry schedule, the body every attempt sends, and what an endpoint accepts."""

from __future__ import annotations

import json
import random

import pytest
from pydantic import ValidationError

from app.domain.webhooks import OutboxEvent, RetrySchedule, WebhookCreate, event_body

SCHEDULE = RetrySchedule(base_ms=5_000, cap_ms=3_600_000, give_up_after_ms=86_400_000)


def test_each_retry_waits_twice_as_long_with_jitter_up_to_the_cap() -> None:
    rng = random.Random(7)
    for failures, full in [(1, 5_000), (2, 10_000), (3, 20_000), (11, 3_600_000), (40, 3_600_000)]:
        waits = [
            SCHEDULE.next_attempt_at(failures=failures, first_at=0, now=0, rng=rng)
            for _ in range(200)
        ]
        assert all(w is not None and full // 2 <= w <= full for w in waits), (failures, waits)
        assert len(set(waits)) > 100  # jittered: a recovering receiver is not hit at once


def test_it_gives_up_a_day_after_the_first_attempt() -> None:
    rng = random.Random(1)
    day = 86_400_000
    assert SCHEDULE.next_attempt_at(failures=20, first_at=0, now=day, rng=rng) is None
    # The third retry waits 10 to 20 s: from 5 s before the day ends it would land after it.
    assert SCHEDULE.next_attempt_at(failures=3, first_at=0, now=day - 5_000, rng=rng) is None
    assert SCHEDULE.next_attempt_at(failures=3, first_at=0, now=day - 30_000, rng=rng) is not None


def test_the_body_is_the_standard_envelope_with_epoch_ms_inside() -> None:
    event = OutboxEvent(
        id="evt_1", type="member.paid", member_id="ann", at=1_764_547_200_000,
        written_at=1_764_547_200_005, rank=2,
        data={"member_id": "ann", "paid_at": 1_764_547_200_000},
    )  # fmt: skip
    body = event_body(event)
    assert json.loads(body) == {
        "id": "evt_1", "type": "member.paid", "timestamp": "2025-12-01T00:00:00Z",
        "data": {"member_id": "ann", "paid_at": 1_764_547_200_000},
    }  # fmt: skip
    assert event_body(event) == body  # the same bytes on every attempt


@pytest.mark.parametrize(
    "url", ["https://crm.example.com/hooks?x=1", "http://127.0.0.1:8080/in", "http://[::1]/h"]
)
def test_an_http_url_with_a_host_is_taken(url: str) -> None:
    assert WebhookCreate(url=url, events=["member.paid"]).url == url


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "file:///etc/passwd", "https://", "crm.example.com/hooks"]
)
def test_anything_else_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="not an http"):
        WebhookCreate(url=url, events=["member.paid"])
