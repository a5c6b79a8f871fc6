"""The samflyt connector SDK: the public plug-in API.

A connector package depends on this package alone (it never imports faust or the stream app).
Write a subclass of :class:`Source` or :class:`Sink`, declare its config as a subclass of
:class:`SourceConfig` / :class:`SinkConfig`, register it under the entry-point group
``samflyt.connectors``, and run :mod:`connectors.sdk.testing` against it. A source taking
messages by HTTP builds on :class:`connectors.sdk.http.HttpSource`.
"""

from __future__ import annotations

from . import headers
from .base import DEFAULT_LANE, Connector, Health, HealthStatus, Sink, Source
from .config import ConnectorConfig, RetryPolicy, SinkConfig, SourceConfig, validate_config
from .exceptions import (
    BadRecordError,
    ConfigProblem,
    ConnectorConfigError,
    ConnectorError,
    ConnectorNotFoundError,
    IncompatiblePluginError,
    RetriableError,
)
from .records import MAX_MESSAGE_BYTES, MAX_RECORD_BYTES, Failure, Position, Record
from .tracing import ensure_traceparent, is_valid_traceparent
from .version import SDK_VERSION, check_compatible

__all__ = [
    "DEFAULT_LANE",
    "ENTRY_POINT_GROUP",
    "MAX_MESSAGE_BYTES",
    "MAX_RECORD_BYTES",
    "SDK_VERSION",
    "BadRecordError",
    "ConfigProblem",
    "Connector",
    "ConnectorConfig",
    "ConnectorConfigError",
    "ConnectorError",
    "ConnectorNotFoundError",
    "Failure",
    "Health",
    "HealthStatus",
    "IncompatiblePluginError",
    "Position",
    "Record",
    "RetriableError",
    "RetryPolicy",
    "Sink",
    "SinkConfig",
    "Source",
    "SourceConfig",
    "check_compatible",
    "ensure_traceparent",
    "headers",
    "is_valid_traceparent",
    "validate_config",
]

ENTRY_POINT_GROUP = "samflyt.connectors"
