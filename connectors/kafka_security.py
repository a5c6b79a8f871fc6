"""How a samflyt process reaches Kafka: the bootstrap servers and the client's security.

Every Kafka client samflyt has (workers, connector and sink runners, the journey recorder, the
admin and CLI commands, the harness and benchmarks) is built from one :class:`KafkaConnection`,
so TLS, SASL and the principal are decided in one place. Kafka is the trust boundary: the
broker authenticates each client and authorises it with ACLs, so a client never speaks
PLAINTEXT unless a development setting asks for it explicitly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from aiokafka.abc import AbstractTokenProvider
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
)

from .sdk.exceptions import ConnectorError

__all__ = [
    "ClientCredentialsTokenProvider",
    "KafkaAccessError",
    "KafkaConnection",
    "KafkaSecurity",
    "Protocol",
    "SaslMechanism",
    "explain_kafka_error",
    "ssl_context",
    "start_client",
]

Protocol = Literal["SASL_SSL", "SSL", "SASL_PLAINTEXT", "PLAINTEXT"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "OAUTHBEARER"]


@lru_cache(maxsize=16)
def ssl_context(
    cafile: Path | None, certfile: Path | None, keyfile: Path | None
) -> ssl.SSLContext:
    """A verifying client context: the broker's certificate must chain to ``cafile`` (or the
    system's roots) and name the host; ``certfile``/``keyfile`` add a client certificate for
    mutual TLS. Cached: every client of a process shares one context."""
    context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if certfile is not None:
        context.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
    return context


class ClientCredentialsTokenProvider(AbstractTokenProvider):  # type: ignore[misc]
    """OAUTHBEARER tokens from an OpenID Connect token endpoint (client credentials grant),
    for clusters behind an identity provider; a token is reused until shortly before it
    expires."""

    def __init__(
        self, token_url: str, client_id: str, client_secret: str, scope: str | None = None
    ) -> None:
        self._url, self._scope = token_url, scope
        self._client_id, self._secret = client_id, client_secret
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        async with self._lock:
            if self._token is None or time.monotonic() > self._expires:
                token, lifetime = await asyncio.to_thread(self._fetch)
                self._token, self._expires = token, time.monotonic() + max(lifetime - 30, 1)
            return self._token

    def _fetch(self) -> tuple[str, float]:
        form = {"grant_type": "client_credentials", "client_id": self._client_id,
                "client_secret": self._secret}
        if self._scope:
            form["scope"] = self._scope
        request = urllib.request.Request(
            self._url, data=urllib.parse.urlencode(form).encode(), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            body = json.loads(answer.read())
        return str(body["access_token"]), float(body.get("expires_in", 300))


@dataclass(frozen=True, slots=True)
class KafkaSecurity:
    """The client side of the broker's listener: protocol, trust, and who the client is."""

    protocol: Protocol = "SASL_SSL"
    cafile: Path | None = None
    certfile: Path | None = None
    keyfile: Path | None = None
    mechanism: SaslMechanism | None = "SCRAM-SHA-512"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token_provider: AbstractTokenProvider | None = field(default=None, repr=False)

    @property
    def uses_tls(self) -> bool:
        return self.protocol in ("SASL_SSL", "SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.protocol in ("SASL_SSL", "SASL_PLAINTEXT")

    def client_options(self) -> dict[str, Any]:
        """The keyword arguments aiokafka's producer, consumer and admin client take."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.uses_tls:
            options["ssl_context"] = ssl_context(self.cafile, self.certfile, self.keyfile)
        if self.uses_sasl:
            options["sasl_mechanism"] = self.mechanism
            if self.mechanism == "OAUTHBEARER":
                options["sasl_oauth_token_provider"] = self.token_provider
            else:
                options["sasl_plain_username"] = self.username
                options["sasl_plain_password"] = self.password
        return options

    def librdkafka_options(self) -> dict[str, str]:
        """The same as librdkafka (confluent-kafka) configuration properties."""
        options: dict[str, str] = {"security.protocol": self.protocol}
        if self.uses_tls:
            if self.cafile:
                options["ssl.ca.location"] = str(self.cafile)
            if self.certfile:
                options["ssl.certificate.location"] = str(self.certfile)
            if self.keyfile:
                options["ssl.key.location"] = str(self.keyfile)
            options["ssl.endpoint.identification.algorithm"] = "https"
        if self.uses_sasl and self.mechanism != "OAUTHBEARER":
            options["sasl.mechanism"] = self.mechanism or "SCRAM-SHA-512"
            options["sasl.username"] = self.username or ""
            options["sasl.password"] = self.password or ""
        return options


@dataclass(frozen=True, slots=True)
class KafkaConnection:
    """Where the brokers are and how this client authenticates to them."""

    bootstrap: str
    security: KafkaSecurity = KafkaSecurity()

    @property
    def principal(self) -> str | None:
        """The SASL user this client logs in as (for error messages; never a secret)."""
        return self.security.username if self.security.uses_sasl else None

    def options(self) -> dict[str, Any]:
        """``bootstrap_servers`` and the security keyword arguments of an aiokafka client."""
        return {"bootstrap_servers": self.bootstrap, **self.security.client_options()}

    def describe(self) -> str:
        """One line for a command's first output: where it connects, and as whom."""
        who = f" as {self.principal}" if self.principal else ""
        return f"Kafka {self.bootstrap} ({self.security.protocol}{who})"


class KafkaAccessError(ConnectorError):
    """The broker refused this client: wrong credentials, an untrusted certificate, the wrong
    protocol, or an ACL it lacks. Retrying cannot help, so start-up stops with the setting or
    the ACL to fix instead of looping."""

    retriable = False
    code = "kafka-access"


# what aiokafka logs when a connection fails → what to fix (the settings samflyt reads)
_CAUSES = (
    ("SaslAuthenticationFailed", "the broker refused the SASL credentials of {who}: check "
     "SAMFLYT_KAFKA_SASL_USERNAME and SAMFLYT_KAFKA_SASL_PASSWORD (or the credentials file)"),
    ("CERTIFICATE_VERIFY_FAILED", "the broker's TLS certificate is not trusted: set "
     "SAMFLYT_KAFKA_SSL_CAFILE to the CA that signed it"),
    ("UnsupportedSaslMechanism", "the broker does not offer SASL mechanism {mechanism}: check "
     "SAMFLYT_KAFKA_SASL_MECHANISM"),
    ("closed", "the broker closed the connection: it does not speak {protocol} on this port "
     "(check SAMFLYT_KAFKA_SECURITY_PROTOCOL and SAMFLYT_KAFKA_BOOTSTRAP)"),
    ("WRONG_VERSION_NUMBER", "the broker does not speak TLS on this port (check "
     "SAMFLYT_KAFKA_SECURITY_PROTOCOL and SAMFLYT_KAFKA_BOOTSTRAP)"),
)


class _LastErrors(logging.Handler):
    """Keeps what aiokafka logged while a client started: the cause it does not raise."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.messages.append(record.getMessage())


def explain_kafka_error(
    exc: BaseException, kafka: KafkaConnection, logged: list[str] | None = None
) -> KafkaAccessError | None:
    """The refusal ``exc`` means, as an error naming what to fix, or ``None`` when ``exc`` is
    not a refusal (a broker that is down is retriable, not misconfigured)."""
    who = kafka.principal or "this client"
    if isinstance(exc, TopicAuthorizationFailedError | GroupAuthorizationFailedError):
        kind = "topic" if isinstance(exc, TopicAuthorizationFailedError) else "consumer group"
        return KafkaAccessError(
            f"principal {who} is not allowed on a {kind} it needs ({exc}): an ACL is missing "
            "for it; `samflyt kafka acls plan` shows what each principal is granted"
        )
    if isinstance(exc, TransactionalIdAuthorizationFailed):
        return KafkaAccessError(
            f"principal {who} may not use its transactional id: an ACL on TRANSACTIONAL_ID is "
            "missing (`samflyt kafka acls plan`)"
        )
    if not isinstance(exc, KafkaConnectionError):
        return None
    text = " ".join(logged or ()) + " " + str(exc)
    for marker, advice in _CAUSES:
        if marker in text:
            return KafkaAccessError(
                f"cannot use {kafka.describe()}: "
                + advice.format(who=who, mechanism=kafka.security.mechanism,
                                protocol=kafka.security.protocol)
            )
    return None


async def start_client(client: Any, kafka: KafkaConnection) -> None:
    """``await client.start()``; a refusal raises :class:`KafkaAccessError` naming the setting
    or ACL (aiokafka only logs the cause and raises "Unable to bootstrap")."""
    handler = _LastErrors()
    loggers = [logging.getLogger(name) for name in ("aiokafka", "aiokafka.conn")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        await client.start()
    except KafkaError as exc:
        with contextlib.suppress(Exception):
            await client.stop() if hasattr(client, "stop") else await client.close()
        refused = explain_kafka_error(exc, kafka, handler.messages)
        if refused is not None:
            raise refused from None
        raise
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
