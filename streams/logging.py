"""Structured JSON-lines logging (defined beside the connector SDK, which logs the same way)."""

from __future__ import annotations

from connectors.sdk.logs import JsonFormatter, configure_logging, logging_config

__all__ = ["JsonFormatter", "configure_logging", "logging_config"]
