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
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from connectors.kafka_security import (
    ClientCredentialsTokenProvider,
    KafkaConnection,
    KafkaSecurity,
    Protocol,
    SaslMechanism,
)
from connectors.sdk import MAX_MESSAGE_BYTES
from connectors.sdk.config import yaml_error_position
from schemas.errors import ConfigError
from streams import local
from streams.local_postgres import OWNER_ROLE, RUNTIME_ROLE, local_database_url

ENV_PREFIX = "SAMFLYT_"
DEV_PATIENT_KEY_SECRET = "samflyt-local-development-only-secret"
DEV_AUDIT_KEY = "samflyt-local-development-only-audit-key"
REPO_ROOT = Path(__file__).resolve().parent.parent
_DURATIONS = (
    "overdue_after",
    "dedup_window",
    "message_store_retention",
    "dead_letter_retention",
    "journey_retention",
)


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
            where = yaml_error_position(exc)
            raise ConfigError(f"{ENV_PREFIX}CONFIG", f"{path} is {where}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{ENV_PREFIX}CONFIG", f"{path} must hold a mapping of settings")
        return data


class Settings(BaseSettings):
    """Every setting of a samflyt worker, connector runner or CLI."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    kafka_bootstrap: str = Field(default_factory=local.kafka_bootstrap)
    # Kafka is the trust boundary: TLS and SASL unless a development setting says otherwise.
    # Each client logs in as its component's principal (streams.principals) unless one
    # username is set for the whole process; passwords come from the setting or, locally,
    # from the credentials directory `make up` fills (one file per principal, mode 0600)
    kafka_security_protocol: Protocol = "SASL_SSL"
    kafka_ssl_cafile: Path | None = Field(default_factory=local.kafka_cafile)
    kafka_ssl_certfile: Path | None = None  # mutual TLS: the client's certificate
    kafka_ssl_keyfile: Path | None = None
    kafka_sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_credentials_dir: Path | None = Field(default_factory=local.kafka_credentials_dir)
    # OAUTHBEARER (clusters behind an identity provider): client credentials grant
    kafka_oauth_token_url: str | None = None
    kafka_oauth_client_id: str | None = None
    kafka_oauth_client_secret: SecretStr | None = None
    kafka_oauth_scope: str | None = None
    # PostgreSQL: workers and tools connect as the runtime role (DML only); `samflyt migrate`
    # connects as the owner of the schema. The defaults reach the local database of `make up`
    # (SAMFLYT_STATE_DIR, SAMFLYT_PG_PORT) over verified TLS; streams.local_postgres says how
    database_url: SecretStr = Field(
        default_factory=lambda: SecretStr(local_database_url(RUNTIME_ROLE))
    )
    database_owner_url: SecretStr = Field(
        default_factory=lambda: SecretStr(local_database_url(OWNER_ROLE))
    )
    topic_prefix: str = Field("samflyt.", pattern=r"^[A-Za-z0-9._-]*$")
    partitions: int = Field(4, ge=1, le=256)
    replication_factor: int = Field(1, ge=1, le=7)
    # set on the topics samflyt creates; with acks=all a write then survives a broker's loss
    min_insync_replicas: int = Field(1, ge=1, le=7)
    app_id: str = Field("samflyt", pattern=r"^[A-Za-z0-9._-]+$")
    # at-least-once processing + deterministic delivery ids + idempotent sinks = each recipient
    # gets each message once; Faust's exactly_once fences itself with more than one worker
    processing_guarantee: Literal["at_least_once", "exactly_once"] = "at_least_once"
    patient_key_secret: SecretStr = SecretStr(DEV_PATIENT_KEY_SECRET)
    # the HMAC key of the audit chain: kept outside the database, so its owner cannot recompute
    # the chain of a rewritten row
    audit_key: SecretStr = SecretStr(DEV_AUDIT_KEY)
    # unset means production: development conveniences are asked for, never assumed
    environment: Literal["development", "test", "production"] = "production"
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
    # how long PostgreSQL keeps what holds messages and journeys (`samflyt purge`): the store
    # keeps whole payloads, dead letters their original bytes, as the deadletter topic does
    message_store_retention: timedelta = timedelta(days=90)
    dead_letter_retention: timedelta = timedelta(days=90)
    # the quality report reads a year back, and a little more for the year's comparison
    journey_retention: timedelta = timedelta(days=400)
    clock_interval_seconds: float = Field(1.0, gt=0, le=3600)
    commit_interval_seconds: float = Field(0.1, gt=0, le=60)
    # how much the broker gathers before it answers a worker's fetch (no Faust setting for
    # either; applied by streams.faust_patches). Faust's own: answer with 1 byte or after 1.5 s,
    # a fetch round trip for every few records under a steady flow. 64 KB or 20 ms measured
    # less worker CPU per input at half load but more at Norway's average rate, 10/s, where
    # every fetch waits out its 20 ms (benchmarks/README.md, sixth session): not the default
    consumer_fetch_min_bytes: int = Field(1, ge=1)
    consumer_fetch_max_wait_ms: int = Field(1500, ge=0, le=60_000)
    # consumer group membership. A worker that dies without leaving the group (SIGKILL, a lost
    # node) holds its partitions until its session expires: Faust's 60 s default stopped all
    # output for ~48 s after a kill (issue 25). 6 s is the broker's least session
    # (group.min.session.timeout.ms); heartbeats from Faust's consumer thread, not the busy
    # event loop, so load does not starve them. ``worker_instance_id`` (static membership,
    # group.instance.id; unique per worker and stable across its restarts, e.g. a StatefulSet
    # pod name): a restarted worker takes back its own partitions with no rebalance, and a
    # stopping one does not leave the group (its partitions wait for it, up to the session)
    kafka_session_timeout_seconds: float = Field(6.0, ge=6.0, le=300.0)
    kafka_heartbeat_interval_seconds: float = Field(1.0, gt=0, le=100.0)
    worker_instance_id: str | None = Field(None, pattern=r"^[A-Za-z0-9._-]{1,200}$")
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

    @field_validator(*_DURATIONS, mode="before")
    @classmethod
    def _seconds_or_iso(cls, value: Any) -> Any:
        """Durations as seconds (``3600``) or ISO 8601 (``P7D``), also from the environment."""
        if isinstance(value, str) and value.strip().lstrip("+").replace(".", "", 1).isdigit():
            return float(value)
        return value

    @field_validator(*_DURATIONS)
    @classmethod
    def _positive_duration(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be a positive duration")
        return value

    @model_validator(mode="after")
    def _heartbeats_fit_in_a_session(self) -> Settings:
        """Three heartbeats per session, as Kafka advises: one lost heartbeat must not look
        like a dead worker."""
        if self.kafka_heartbeat_interval_seconds * 3 > self.kafka_session_timeout_seconds:
            raise ConfigError(
                f"{ENV_PREFIX}KAFKA_HEARTBEAT_INTERVAL_SECONDS",
                f"must be at most a third of {ENV_PREFIX}KAFKA_SESSION_TIMEOUT_SECONDS",
            )
        return self

    @field_validator("kafka_bootstrap")
    @classmethod
    def _bootstrap_has_ports(cls, value: str) -> str:
        for server in value.split(","):
            host, _, port = server.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port...], got {value!r}")
        return value

    @field_validator("database_url", "database_owner_url")
    @classmethod
    def _database_url_scheme(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("expected a postgresql:// URL")
        return value

    @field_validator("patient_key_secret", "audit_key")
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

    def kafka(self, principal: str) -> KafkaConnection:
        """How a client of ``principal`` (streams.principals) reaches the brokers.

        ``SAMFLYT_KAFKA_SASL_USERNAME`` names one identity for every client of the process
        (a deployment gives each process its own); otherwise the client logs in as
        ``principal`` with the password in the credentials directory."""
        mechanism = self.kafka_sasl_mechanism
        username = self.kafka_sasl_username or principal
        password: str | None = None
        provider = None
        sasl = self.kafka_security_protocol in ("SASL_SSL", "SASL_PLAINTEXT")
        if sasl and mechanism == "OAUTHBEARER":
            provider = self._token_provider()
        elif sasl:
            password = self._password(username)
        return KafkaConnection(
            self.kafka_bootstrap,
            KafkaSecurity(
                protocol=self.kafka_security_protocol,
                cafile=self.kafka_ssl_cafile,
                certfile=self.kafka_ssl_certfile,
                keyfile=self.kafka_ssl_keyfile,
                mechanism=mechanism if sasl else None,
                username=username if sasl else None,
                password=password,
                token_provider=provider,
            ),
        )

    def _password(self, username: str) -> str:
        if self.kafka_sasl_password is not None:
            return self.kafka_sasl_password.get_secret_value()
        if self.kafka_credentials_dir is not None:
            path = self.kafka_credentials_dir / f"{username}.password"
            try:
                return path.read_text(encoding="utf-8").strip()
            except OSError:
                pass
        raise ConfigError(
            f"{ENV_PREFIX}KAFKA_SASL_PASSWORD",
            f"no password for Kafka principal {username}: set it, or give"
            f" {ENV_PREFIX}KAFKA_CREDENTIALS_DIR a {username}.password file (`make up` writes"
            " the local principals' files)",
        )

    def _token_provider(self) -> ClientCredentialsTokenProvider:
        url, client = self.kafka_oauth_token_url, self.kafka_oauth_client_id
        secret = self.kafka_oauth_client_secret
        if not (url and client and secret):
            raise ConfigError(
                f"{ENV_PREFIX}KAFKA_OAUTH_TOKEN_URL",
                "OAUTHBEARER needs the token URL, client id and client secret",
            )
        return _token_provider(url, client, secret.get_secret_value(), self.kafka_oauth_scope)

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


@lru_cache(maxsize=8)
def _token_provider(
    url: str, client: str, secret: str, scope: str | None
) -> ClientCredentialsTokenProvider:
    """One provider per identity, so every client of a process shares its cached token."""
    return ClientCredentialsTokenProvider(url, client, secret, scope)


def unsafe_for_production(settings: Settings) -> list[tuple[str, str]]:
    """(setting, why) for each setting production must not run with; empty outside
    production. Pure: the start-up check and its tests read the same list."""
    if settings.environment != "production":
        return []
    problems: list[tuple[str, str]] = []
    if settings.patient_key_secret.get_secret_value() == DEV_PATIENT_KEY_SECRET:
        problems.append(("PATIENT_KEY_SECRET", "set a deployment secret in production"))
    if settings.audit_key.get_secret_value() == DEV_AUDIT_KEY:
        problems.append(("AUDIT_KEY", "set a deployment secret, kept outside the database"))
    if settings.kafka_security_protocol in ("PLAINTEXT", "SASL_PLAINTEXT"):
        problems.append(
            ("KAFKA_SECURITY_PROTOCOL", "production needs TLS to Kafka (SASL_SSL or SSL)")
        )
    if settings.replication_factor < 3:
        problems.append(
            ("REPLICATION_FACTOR", "production needs 3 replicas of every topic (at least)")
        )
    if settings.min_insync_replicas < 2:
        problems.append(
            ("MIN_INSYNC_REPLICAS", "production needs at least 2 in-sync replicas per write")
        )
    if settings.connector_bindings is None:
        problems.append(
            ("CONNECTOR_BINDINGS", "production needs the file binding each connector instance"
             " to the sender HER-ids it may speak for")
        )
    if settings.min_insync_replicas >= settings.replication_factor:
        problems.append(
            ("MIN_INSYNC_REPLICAS", "must be below the replication factor, or one broker's"
             " loss stops every write")
        )
    return [(ENV_PREFIX + name, why) for name, why in problems]


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
    unsafe = unsafe_for_production(settings)
    if unsafe:
        raise ConfigError(
            ", ".join(sorted({name for name, _ in unsafe})),
            "; ".join(f"{name}: {why}" for name, why in unsafe)
            + f" (for a development machine set {ENV_PREFIX}ENVIRONMENT=development)",
        )
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, loaded once."""
    return load_settings()
