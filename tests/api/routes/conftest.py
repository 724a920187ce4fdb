from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from app.api.deps import get_now
from app.domain.plans import DAY_MS

JAN = 1_767_225_600_000  # 2026-01-01T00:00Z, when examples/seed-plan.json takes effect


@pytest.fixture
def ledger_clock(client: TestClient) -> None:
    """The API's clock at the second day of the seed plan, so holds are still running."""

    async def second_day() -> int:
        return JAN + 2 * DAY_MS

    client.app.dependency_overrides[get_now] = second_day  # type: ignore[attr-defined]


@pytest.fixture
def clock(client: TestClient) -> Callable[[int], None]:
    """Sets the API's clock to a fixed moment (epoch ms)."""

    def set_to(now: int) -> None:
        async def fixed() -> int:
            return now

        client.app.dependency_overrides[get_now] = fixed  # type: ignore[attr-defined]

    return set_to
