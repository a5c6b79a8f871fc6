"""Typed connector configs and their validation (every problem reported at once).

A connector declares ``config_model``: a pydantic model derived from :class:`SourceConfig` or
:class:`SinkConfig`. The runner validates the config file against it *before* ``start``; all
problems are collected into one :class:`~connectors.sdk.exceptions.ConnectorConfigError`, each
naming its setting by dotted path (``retry.max_delay``, ``senders.0.her_id``).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .exceptions import ConfigProblem, ConnectorConfigError

__all__ = [
    "ConnectorConfig",
    "RetryPolicy",
    "SinkConfig",
    "SourceConfig",
    "validate_config",
]

C = TypeVar("C", bound="ConnectorConfig")


class RetryPolicy(BaseModel):
    """Bounded exponential backoff: ``initial_delay * multiplier**n``, capped at ``max_delay``.

    ``max_attempts`` bounds the tries of one record (``None``: until it succeeds — the lane waits,
    health says degraded); after the last a record goes to the dead-letter topic. ``jitter`` is
    the fraction of each delay that is randomised, so many workers do not retry in step.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    initial_delay: float = Field(0.2, gt=0, description="seconds before the first retry")
    max_delay: float = Field(30.0, gt=0, description="upper bound of one delay, seconds")
    multiplier: float = Field(2.0, ge=1)
    max_attempts: int | None = Field(None, ge=1)
    jitter: float = Field(0.1, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> RetryPolicy:
        if self.max_delay < self.initial_delay:
            raise ValueError("max_delay must not be smaller than initial_delay")
        return self

    def delay(self, attempt: int, rand: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based). Pure given ``rand``."""
        base = min(self.max_delay, self.initial_delay * self.multiplier ** max(0, attempt - 1))
        r = random.random() if rand is None else rand
        return base * (1 - self.jitter * r)

    def exhausted(self, attempts: int) -> bool:
        """True when ``attempts`` tries have used up the budget."""
        return self.max_attempts is not None and attempts >= self.max_attempts

    def delays(self) -> Iterator[float]:
        """The successive delays without jitter (for documentation and tests)."""
        attempt = 1
        while not self.exhausted(attempt):
            yield self.delay(attempt, rand=0.0)
            attempt += 1


class ConnectorConfig(BaseModel):
    """Settings every connector has. Unknown settings are refused (a typo must not pass)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dead_letter_topic: str = Field("samflyt.deadletter", min_length=1)
    retry: RetryPolicy = RetryPolicy()
    batch_size: int = Field(100, ge=1, le=10_000, description="records per batch")


class SourceConfig(ConnectorConfig):
    """Settings of a source: where its records go."""

    topic: str = Field(min_length=1, description="Kafka topic the records are published to")


class SinkConfig(ConnectorConfig):
    """Settings of a sink: which topics it reads and as which consumer group.

    ``confirmation_topic``: where the runner confirms each routed delivery the sink wrote (a
    record carrying the delivery's ids, no content), which the journey records as the message's
    ``delivered`` step. ``None`` for a sink that hands nothing to a recipient (an archive)."""

    topics: list[str] = Field(min_length=1, description="Kafka topics the sink consumes")
    group_id: str | None = Field(None, description="default: samflyt-connector-<name>")
    confirmation_topic: str | None = Field(
        "samflyt.deliveries.confirmed",
        min_length=1,
        description="topic of delivery confirmations (the journey's delivered steps); null: none",
    )


def _setting(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(config)"


def validate_config(connector: str, model: type[C], raw: Mapping[str, Any] | None) -> C:
    """Validate ``raw`` against ``model``; raise ConnectorConfigError naming every bad setting."""
    if raw is not None and not isinstance(raw, Mapping):
        raise ConnectorConfigError(connector, [ConfigProblem("(config)", "must be a mapping")])
    try:
        return model.model_validate(dict(raw or {}))
    except ValidationError as exc:
        problems = [
            ConfigProblem(_setting(err["loc"]), err["msg"]) for err in exc.errors()
        ]
        raise ConnectorConfigError(connector, problems) from None


def yaml_error_position(exc: yaml.YAMLError) -> str:
    """Where a YAML error is, never what: PyYAML's message quotes the file, secrets included."""
    mark = getattr(exc, "problem_mark", None)
    return f"not valid YAML at line {mark.line + 1}, column {mark.column + 1}" if mark else (
        "not valid YAML"
    )
