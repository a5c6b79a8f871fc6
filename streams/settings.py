"""The one typed settings object of samflyt: defaults < settings file < ``SAMFLYT_*`` environment.

Validated at start-up; a wrong value stops start-up with a :class:`~schemas.errors.ConfigError`
naming the setting (as the environment variable a user would set).
"""

from __future__ import annotations

import os
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from connectors.sdk import MAX_MESSAGE_BYTES
from schemas.errors import ConfigError

ENV_PREFIX = "SAMFLYT_"
DEV_PATIENT_KEY_SECRET = "samflyt-local-development-only-secret"
REPO_ROOT = Path(__file__).resolve().parent.parent


class _YamlFileSource(PydanticBaseSettingsSource):
    """Reads the settings file named by ``SAMFLYT_CONFIG`` (YAML mapping of setting → value)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get(f"{ENV_PREFIX}CONFIG")
        if not path:
            return {}
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ConfigError(f"{ENV_PREFIX}CONFIG", f"cannot read {path}: {exc}") from None
        except yaml.YAMLError as exc:
            # where, not what: PyYAML's message quotes the file, secrets included
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise ConfigError(f"{ENV_PREFIX}CONFIG", f"{path} is not valid YAML{where}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{ENV_PREFIX}CONFIG", f"{path} must hold a mapping of settings")
        return data


class Settings(BaseSettings):
    """Every setting of a samflyt worker, connector runner or CLI."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    kafka_bootstrap: str = "127.0.0.1:19092"
    database_url: SecretStr = SecretStr("postgresql://samflyt:samflyt@127.0.0.1:15432/samflyt")
    topic_prefix: str = Field("samflyt.", pattern=r"^[A-Za-z0-9._-]*$")
    partitions: int = Field(4, ge=1, le=256)
    replication_factor: int = Field(1, ge=1, le=7)
    app_id: str = Field("samflyt", pattern=r"^[A-Za-z0-9._-]+$")
    # at-least-once processing + deterministic delivery ids + idempotent sinks = each recipient
    # gets each message once; Faust's exactly_once fences itself with more than one worker
    processing_guarantee: Literal["at_least_once", "exactly_once"] = "at_least_once"
    patient_key_secret: SecretStr = SecretStr(DEV_PATIENT_KEY_SECRET)
    environment: Literal["development", "test", "production"] = "development"
    worker_web_port: int = Field(6066, ge=0, le=65535)
    metrics_port: int = Field(0, ge=0, le=65535)
    max_poll_records: int = Field(200, ge=1)
    producer_linger_ms: int = Field(5, ge=0, le=1000)
    producer_max_batch_bytes: int = Field(1_048_576, ge=16_384)
    # zstd (level 3) compresses health XML ~20x at ~500 MB/s; aiokafka's lz4 runs at level 9
    # (LZ4HC), ~85 MB/s for a 7x ratio, and was most of a raw producer's CPU
    producer_compression: Literal["zstd", "lz4", "snappy", "gzip", "none"] = "zstd"
    # what the topics, producers and consumers take is sized for this (connectors.sdk)
    xml_max_bytes: int = Field(MAX_MESSAGE_BYTES, ge=1024, le=MAX_MESSAGE_BYTES)
    xml_max_depth: int = Field(100, ge=8)
    reject_unknown_receiver: bool = True
    overdue_after: timedelta = timedelta(hours=96)
    # how long a sender's message id is remembered for duplicate detection
    dedup_window: timedelta = timedelta(days=7)
    clock_interval_seconds: float = Field(1.0, gt=0, le=3600)
    commit_interval_seconds: float = Field(0.1, gt=0, le=60)
    # how much the broker gathers before it answers a worker's fetch (no Faust setting for
    # either; applied by streams.faust_patches). Faust's own: answer with 1 byte or after 1.5 s,
    # a fetch round trip for every few records under a steady flow. 64 KB or 20 ms measured
    # less worker CPU per input at half load but more at Norway's average rate, 10/s, where
    # every fetch waits out its 20 ms (benchmarks/README.md, sixth session): not the default
    consumer_fetch_min_bytes: int = Field(1, ge=1)
    consumer_fetch_max_wait_ms: int = Field(1500, ge=0, le=60_000)
    # the worker's event loop: uvloop's C loop costs less per task switch and socket write than
    # asyncio's, and a worker switches tasks several times for every record it reads or sends
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"
    routing_rules: Path = REPO_ROOT / "streams" / "routing" / "rules.yaml"
    # which sender HER-ids each connector instance may speak for (streams.bindings); required
    # in production, a permissive synthetic default otherwise
    connector_bindings: Path | None = None
    migrations_dir: Path = REPO_ROOT / "infra" / "postgres" / "migrations"
    # Faust's working directory (it keeps nothing samflyt needs: tables live in changelogs);
    # outside the checkout, wherever a worker is started from
    worker_data_dir: Path = Field(
        default_factory=lambda: (
            Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
            / "samflyt"
            / "faust"
        )
    )

    @field_validator("overdue_after", "dedup_window", mode="before")
    @classmethod
    def _seconds_or_iso(cls, value: Any) -> Any:
        """Durations as seconds (``3600``) or ISO 8601 (``P7D``), also from the environment."""
        if isinstance(value, str) and value.strip().lstrip("+").replace(".", "", 1).isdigit():
            return float(value)
        return value

    @field_validator("overdue_after", "dedup_window")
    @classmethod
    def _positive_duration(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be a positive duration")
        return value

    @field_validator("kafka_bootstrap")
    @classmethod
    def _bootstrap_has_ports(cls, value: str) -> str:
        for server in value.split(","):
            host, _, port = server.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port...], got {value!r}")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_scheme(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("expected a postgresql:// URL")
        return value

    @field_validator("patient_key_secret")
    @classmethod
    def _secret_long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value().encode()) < 32:
            raise ValueError("must be at least 32 bytes")
        return value

    @property
    def test_environment(self) -> bool:
        """Not production: synthetic test persons are accepted in every message (see
        :func:`schemas.xml.rules.check_business_rules`)."""
        return self.environment != "production"

    @property
    def compression_type(self) -> str | None:
        """``producer_compression`` as aiokafka and Faust take it (None: uncompressed)."""
        return None if self.producer_compression == "none" else self.producer_compression

    def topic(self, name: str) -> str:
        """The full Kafka topic name of a catalogue topic."""
        return f"{self.topic_prefix}{name}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _YamlFileSource(settings_cls)


def load_settings(**overrides: Any) -> Settings:
    """Build and validate the settings, or raise ConfigError naming every bad setting."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ENV_PREFIX + "_".join(str(p) for p in err["loc"]).upper()
            problems.append(f"{name}: {err['msg']}")
        raise ConfigError(
            ", ".join(sorted({p.split(":")[0] for p in problems})), "; ".join(problems)
        ) from None
    if (
        settings.environment == "production"
        and settings.patient_key_secret.get_secret_value() == DEV_PATIENT_KEY_SECRET
    ):
        raise ConfigError(
            f"{ENV_PREFIX}PATIENT_KEY_SECRET", "set a deployment secret in production"
        )
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, loaded once."""
    return load_settings()
