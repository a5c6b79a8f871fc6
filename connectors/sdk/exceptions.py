"""Exceptions of the connector SDK, all derived from :class:`schemas.errors.SamflytError`.

Callers branch on the ``retriable`` flag, never on the class: a retriable error may succeed when
tried again (an endpoint or database is down); a non-retriable one never will.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from schemas.errors import SamflytError

__all__ = [
    "BadRecordError",
    "ConfigProblem",
    "ConnectorConfigError",
    "ConnectorError",
    "ConnectorNotFoundError",
    "IncompatiblePluginError",
    "RetriableError",
]


class ConnectorError(SamflytError):
    """Root of the connector SDK's exceptions.

    ``code`` is a short machine-readable reason (it becomes the ``samflyt.error.code`` header of
    a dead letter); the message is human-readable and free of personal data.
    """

    code: str = "connector-error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class RetriableError(ConnectorError):
    """A temporary failure (endpoint down, timeout, 5xx): the runner tries again with backoff."""

    retriable = True
    code = "retriable"


class BadRecordError(ConnectorError):
    """One record can never be processed (malformed, unknown recipient, refused by the far end).

    The runner sends it to the dead-letter topic with its reason and carries on.
    """

    retriable = False
    code = "bad-record"


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One invalid setting: ``setting`` is its dotted path in the config file."""

    setting: str
    problem: str

    def __str__(self) -> str:
        return f"{self.setting}: {self.problem}"


class ConnectorConfigError(ConnectorError):
    """A connector's config is invalid. Carries *every* problem found, each naming its setting."""

    code = "config"

    def __init__(self, connector: str, problems: Sequence[ConfigProblem]) -> None:
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid config for connector {connector!r}:\n{lines}")
        self.connector = connector
        self.problems = tuple(problems)


class IncompatiblePluginError(ConnectorError):
    """A plug-in was built for an SDK version this samflyt cannot run; refused at load time."""

    code = "incompatible-plugin"


class ConnectorNotFoundError(ConnectorError):
    """No connector of that name is registered in the ``samflyt.connectors`` entry-point group."""

    code = "not-found"
