"""Settings: environment, a TOML file, and the values they refuse."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.config import Settings
from app.domain.tiers import DEFAULT_LADDER


def test_defaults_run_embedded_with_the_default_ladder(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REFGRAPH_GRAPH_URL", "REFGRAPH_API_KEYS", "REFGRAPH_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.graph_url == "embedded:./refgraph-data"
    assert settings.tier_ladder == DEFAULT_LADDER
    assert settings.tier_ladder.tier_for(51) == "phoenix"
    assert settings.tier_ladder.tier_for(50) == "peacock"
    assert settings.api_keys == {}


def test_api_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFGRAPH_API_KEYS", "k1=admin, k=2=storefront")
    assert Settings().api_keys == {"k1": "admin", "k=2": "storefront"}
    monkeypatch.setenv("REFGRAPH_API_KEYS", "k1=owner")
    with pytest.raises(ValidationError, match="unknown roles"):
        Settings()


def test_a_ladder_from_a_toml_file_that_the_environment_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "refgraph.toml"
    config.write_text(
        'graph_url = "embedded:/srv/graph"\n'
        "[[tier_ladder.steps]]\ntier = 'bee'\nmin_paid_invites = 0\n"
        "[[tier_ladder.steps]]\ntier = 'phoenix'\nmin_paid_invites = 40\n"
    )
    monkeypatch.setenv("REFGRAPH_CONFIG_FILE", str(config))
    monkeypatch.delenv("REFGRAPH_GRAPH_URL", raising=False)
    settings = Settings()
    assert settings.graph_url == "embedded:/srv/graph"
    assert [s.tier for s in settings.tier_ladder.steps] == ["bee", "phoenix"]
    monkeypatch.setenv("REFGRAPH_GRAPH_URL", "bolt://db:7687")
    assert Settings().graph_url == "bolt://db:7687"


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([], "at least one step"),
        ([{"tier": "bee", "min_paid_invites": 3}], "start at 0"),
        (
            [{"tier": "bee", "min_paid_invites": 0}, {"tier": "x", "min_paid_invites": 0}],
            "increasing",
        ),
        (
            [{"tier": "bee", "min_paid_invites": 0}, {"tier": "bee", "min_paid_invites": 4}],
            "unique",
        ),
    ],
)
def test_a_broken_ladder_is_refused(
    monkeypatch: pytest.MonkeyPatch, steps: list[dict[str, object]], message: str
) -> None:
    import json

    monkeypatch.setenv("REFGRAPH_TIER_LADDER", json.dumps({"steps": steps}))
    with pytest.raises(ValidationError, match=message):
        Settings()


def test_unknown_fsync_policy_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFGRAPH_EMBEDDED_APPENDFSYNC", "sometimes")
    with pytest.raises(ValidationError, match="appendfsync"):
        Settings()


def test_the_spend_ladder_defaults_to_the_sources_and_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json

    from app.domain.spend import DEFAULT_SPEND_LADDER

    monkeypatch.delenv("REFGRAPH_CONFIG_FILE", raising=False)
    assert Settings().spend_ladder == DEFAULT_SPEND_LADDER
    levels = [{"level": "basic", "min_spend": 0, "price_bp": 10_000},
              {"level": "gold", "min_spend": 100_000, "price_bp": 9000}]  # fmt: skip
    monkeypatch.setenv("REFGRAPH_SPEND_LADDER", json.dumps({"currency": "USD", "levels": levels}))
    ladder = Settings().spend_ladder
    assert ladder.currency == "USD" and [lv.level for lv in ladder.levels] == ["basic", "gold"]
    monkeypatch.setenv("REFGRAPH_SPEND_LADDER", json.dumps({"levels": levels[::-1]}))
    with pytest.raises(ValidationError, match="start at 0"):
        Settings()


def test_webhook_events_are_kept_at_least_as_long_as_points_notices_look_ahead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REFGRAPH_WEBHOOK_KEEP_DAYS", "7")
    with pytest.raises(ValidationError, match=r"webhook_keep_days \(7\) must be 0"):
        Settings()
    monkeypatch.setenv("REFGRAPH_WEBHOOK_POINTS_EXPIRING_DAYS", "7")
    assert Settings().webhook_worker_settings().keep_ms == 7 * 86_400_000
    monkeypatch.setenv("REFGRAPH_WEBHOOK_KEEP_DAYS", "0")  # kept for ever
    assert Settings().webhook_worker_settings().keep_ms == 0
