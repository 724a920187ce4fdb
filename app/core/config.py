"""The one settings object: environment variables (REFGRAPH_*) and an optional TOML file."""

from __future__ import annotations

import os
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from app.core.errors import InvalidInput
from app.core.validation import error_message
from app.domain.rate_limits import RateLimits, parse_rate_limits
from app.domain.signals import SignalRules
from app.domain.spend import DEFAULT_SPEND_LADDER, SpendLadder
from app.domain.tiers import DEFAULT_LADDER, TierLadder
from app.domain.webhooks import RetrySchedule, WorkerSettings

# The source checkout: scripts, benchmarks and tests live there. An installed service reads
# only what ships inside the package (`packaged`).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
ROLES = ("admin", "storefront", "growth", "auditor")


def packaged(name: str) -> Path:
    """A file or folder shipped inside the package (app/_resources: `cypher`, `migrations`,
    `seed-plan.json`), found through importlib.resources so that a wheel installed anywhere
    finds its own. An installed package is unpacked on disk, so the resource is a real path,
    which the settings can carry and an operator can replace."""
    resource = files("app").joinpath("_resources", name)
    if not isinstance(resource, Path):
        raise RuntimeError(
            f"the packaged resource {name} is not a file-system path ({resource!r}); "
            "install the package unpacked (pip install), not zipped"
        )
    return resource


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFGRAPH_", extra="ignore")

    graph_url: str = "embedded:./refgraph-data"
    graph_name: str = "refgraph"
    # A FalkorDB replica (falkordb://host:port, a redis-server with the module, `replicaof`
    # the primary) that serves the storefront's reads; writes and the reads a write path
    # makes before writing stay on the primary (app/store/falkordb_store.py REPLICA_READS).
    read_url: str | None = None
    # After each write, wait up to read_wait_ms for the replica to acknowledge it (Redis
    # `WAIT 1`), so a read after a 2xx sees it ("wait"), or not ("none": replica reads may
    # trail the primary by the replication lag).
    read_after_write: Literal["none", "wait"] = "none"
    read_wait_ms: int = Field(default=1000, ge=1)
    neo4j_user: str | None = None
    neo4j_password: SecretStr | None = None
    neo4j_database: str | None = None
    # Stronger than Redis' default: every acknowledged write is on disk before the reply.
    embedded_appendfsync: str = "always"
    # NoDecode: the documented form is key=role,key=role, not JSON.
    api_keys: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    tier_ladder: TierLadder = DEFAULT_LADDER
    spend_ladder: SpendLadder = DEFAULT_SPEND_LADDER
    cypher_dir: Path = Field(default_factory=lambda: packaged("cypher"))
    migrations_dir: Path = Field(default_factory=lambda: packaged("migrations"))
    config_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # How often the server releases held ledger entries whose hold has passed (0: never;
    # `refgraph release` does it on demand).
    release_interval_s: float = Field(default=60.0, ge=0)
    # Seconds between scheduled connector runs (0: none; runs are started by
    # `POST /v1/jobs/connectors` or `refgraph connectors`).
    connectors_every: float = Field(default=0.0, ge=0)
    # Seconds between scheduled abuse-signal runs (0: none; `POST /v1/jobs/signals` or
    # `refgraph signals` start one), and what counts as abuse: JSON, e.g.
    # REFGRAPH_SIGNAL_RULES='{"burst_invitees": 10, "burst_minutes": 5}'.
    signals_every: float = Field(default=0.0, ge=0)
    signal_rules: SignalRules = Field(default_factory=SignalRules)
    # How long a leaderboard answer is reused before it is computed again (0: never reused).
    # A board over all members is a scan; the storefront shows it on every page.
    leaderboard_ttl_s: float = Field(default=60.0, ge=0)
    # Requests a second and burst per API key and route class (reads, writes, jobs), and
    # optionally per role: `reads=1000/2000,writes=200/400,jobs=1/5,storefront.reads=…`
    # (NoDecode: that form, not JSON). Past it: 429 with Retry-After. A rate of 0: no limit.
    rate_limits: Annotated[RateLimits, NoDecode] = RateLimits()
    # The largest request body the API reads (bytes); a larger one is answered 413 before it
    # is read (on Content-Length) or as soon as it passes the limit (a chunked body).
    max_body_bytes: int = Field(default=1_048_576, ge=1)
    # The server's watchdog over the embedded engine it owns: how often it checks that the
    # engine lives (a call that cannot reach it wakes the watchdog at once); a dead one is
    # started again and replays its append-only file.
    engine_check_interval_s: float = Field(default=1.0, gt=0)
    # The embedded engine's write log is folded into a snapshot once after the start, every
    # this many seconds when anything was written (0: not on a timer), and as soon as the log
    # written since the last snapshot passes compact_log_mb (0: not on size): a start
    # replays the log one statement at a time (about 1.4 kB and 1 ms an API write: 17k
    # took 14-23 s), so its size bounds the restart time. Each fold writes the whole graph
    # (from a forked engine, which keeps serving).
    compact_interval_s: float = Field(default=3600.0, ge=0)
    compact_log_mb: float = Field(default=8.0, ge=0)
    # Writes are refused (503) while the embedded engine's data folder has no more than this
    # free: with appendfsync always, Redis exits on an append it cannot write, which would
    # cut off the reads too until the watchdog restarts it. The reserve must hold the
    # largest statement (a group-committed batch of 256 registrations logs ~0.4 MB).
    embedded_disk_reserve_mb: float = Field(default=64.0, ge=0)
    # The webhook worker (app/services/webhook_delivery.py): how often it looks for new
    # events and due deliveries (0: no worker), how long it waits for a receiver, how many
    # receivers' members it sends to at once, and how long an event waits after it was
    # written before it is dispatched (a statement that wrote an earlier time but commits
    # later must come into view first, or a member's events could go out of order).
    # Metrics: GET /metrics with the admin key on the API port; when set, also without a key
    # on this port, bound to 127.0.0.1 only (for a Prometheus beside the service).
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # Logs: one JSON object per line (json) or plain lines (text), on stderr.
    log_format: Literal["json", "text"] = "json"
    # OpenTelemetry: spans per request sent to this OTLP/HTTP endpoint
    # (http://collector:4318/v1/traces); unset, no tracing (app/core/tracing.py).
    otel_endpoint: str | None = None
    webhook_interval_s: float = Field(default=1.0, ge=0)
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    webhook_concurrency: int = Field(default=8, ge=1, le=64)
    webhook_settle_ms: int = Field(default=2000, ge=0)
    # Retries: the first after retry_base_s, doubling up to retry_cap_s, each with jitter
    # (half to all of it), until retry_for_s after the first attempt: then failed.
    webhook_retry_base_s: float = Field(default=5.0, gt=0)
    webhook_retry_cap_s: float = Field(default=3600.0, gt=0)
    webhook_retry_for_s: float = Field(default=86400.0, ge=0)
    # points.expiring: a member's points that expire within this many days are announced
    # once per expiry date; looked for this often while an endpoint asks for the event.
    webhook_points_expiring_days: int = Field(default=30, ge=1, le=366)
    webhook_points_expiring_every_s: float = Field(default=3600.0, gt=0)
    # Events dispatched more than this many days ago are deleted with their deliveries once
    # none of those is pending (0: kept for ever); no fewer days than points.expiring looks
    # ahead, or a lot's notice could go before the lot expires and be written again.
    webhook_keep_days: int = Field(default=30, ge=0)

    def webhook_worker_settings(self) -> WorkerSettings:
        return WorkerSettings(
            schedule=RetrySchedule(
                base_ms=int(self.webhook_retry_base_s * 1000),
                cap_ms=int(self.webhook_retry_cap_s * 1000),
                give_up_after_ms=int(self.webhook_retry_for_s * 1000),
            ),
            timeout_s=self.webhook_timeout_s,
            settle_ms=self.webhook_settle_ms,
            concurrency=self.webhook_concurrency,
            expiring_within_ms=self.webhook_points_expiring_days * 86_400_000,
            expiring_every_ms=int(self.webhook_points_expiring_every_s * 1000),
            keep_ms=self.webhook_keep_days * 86_400_000,
        )

    @field_validator("api_keys", mode="before")
    @classmethod
    def parse_api_keys(cls, value: Any) -> Any:
        """`REFGRAPH_API_KEYS=key=role,key=role` is the documented form; a dict passes through."""
        if not isinstance(value, str):
            return value
        keys: dict[str, str] = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            key, sep, role = item.rpartition("=")
            if not sep or not key:
                raise ValueError("REFGRAPH_API_KEYS entries must look like key=role")
            keys[key] = role
        return keys

    @field_validator("api_keys")
    @classmethod
    def known_roles(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted({role for role in value.values() if role not in ROLES})
        if unknown:
            raise ValueError(f"unknown roles {unknown}; roles are {list(ROLES)}")
        return value

    @field_validator("rate_limits", mode="before")
    @classmethod
    def parse_rate_limits(cls, value: Any) -> Any:
        """`REFGRAPH_RATE_LIMITS=reads=1000/2000,storefront.reads=5000/10000` is the
        documented form; a dict (the TOML file's table) passes through."""
        return parse_rate_limits(value) if isinstance(value, str) else value

    @field_validator("rate_limits")
    @classmethod
    def rate_limit_roles(cls, value: RateLimits) -> RateLimits:
        unknown = sorted(set(value.roles) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown roles {unknown}; roles are {list(ROLES)}")
        return value

    @field_validator("embedded_appendfsync")
    @classmethod
    def fsync_policy(cls, value: str) -> str:
        if value not in ("always", "everysec", "no"):
            raise ValueError("embedded_appendfsync is one of always, everysec, no")
        return value

    @model_validator(mode="after")
    def webhook_events_outlive_their_notices(self) -> Settings:
        if 0 < self.webhook_keep_days < self.webhook_points_expiring_days:
            raise ValueError(
                f"webhook_keep_days ({self.webhook_keep_days}) must be 0 (keep for ever) or "
                f"at least webhook_points_expiring_days ({self.webhook_points_expiring_days}): "
                "a points.expiring notice deleted before its lot expires is written again"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlFileSource(settings_cls))


class TomlFileSource(PydanticBaseSettingsSource):
    """Values from the TOML file named by REFGRAPH_CONFIG_FILE (lowest priority after env)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("REFGRAPH_CONFIG_FILE")
        if not path:
            return {}
        try:
            with open(path, "rb") as handle:
                return tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else str(error)
            raise InvalidInput(
                f"REFGRAPH_CONFIG_FILE {path} cannot be read: {reason}", field="config_file"
            ) from None


def load_settings(**overrides: Any) -> Settings:
    """The settings, or InvalidInput naming each bad one by its variable and saying why (the
    CLI prints it as one line; pydantic's own text was a traceback ending in its URLs)."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        reasons = [
            f"{_setting_name(item['loc'])}: {error_message(item)}"
            for item in error.errors(include_url=False)
        ]
        raise InvalidInput("the settings are not valid: " + "; ".join(reasons)) from None


def _setting_name(location: tuple[int | str, ...]) -> str:
    """`REFGRAPH_TIER_LADDER (steps.0.tier)`: the variable (or the same key in the TOML file),
    then the place inside its value."""
    if not location:
        return "settings"
    inside = ".".join(str(part) for part in location[1:])
    variable = f"REFGRAPH_{str(location[0]).upper()}"
    return f"{variable} ({inside})" if inside else variable
