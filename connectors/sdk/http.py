"""An HTTP source to build on: callers ``POST`` a message and are answered once the runner has
committed it, so a municipality's HTTP connector only says how a body becomes a record.

What :class:`HttpSource` does for its subclass (samflyt's own ``epj-http`` is one): bearer
tokens per sending organisation, of which the config holds only SHA-256 digests (``401``); a
body-size limit (``413``); a bounded number of messages waiting for the broker (more: ``503``
with ``Retry-After`` at once); the answer when the runner commits the record — ``202`` with its
message id, or the broker's refusal (``413`` when too large) — and ``503`` with ``Retry-After``
when the broker does not acknowledge in time or the runner is stopping. A caller that sends
the same message again is safe: the runner publishes a message id once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.redaction import mask_ids_in

from .base import Health, HealthStatus, Source
from .config import SourceConfig
from .exceptions import ConnectorError, RetriableError
from .headers import TRACEPARENT
from .records import MAX_MESSAGE_BYTES, Record
from .tracing import is_valid_traceparent

__all__ = [
    "RETRY_AFTER_SECONDS",
    "Check",
    "HttpSource",
    "HttpSourceConfig",
    "SenderToken",
    "Submit",
    "authenticate",
    "bearer_token",
    "build_app",
    "problem",
    "refusal",
    "token_digest",
]

RETRY_AFTER_SECONDS = 5


class SenderToken(BaseModel):
    """One sending organisation: the HER-ids it may send as, and its token's SHA-256 digest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="for logs, e.g. the municipality")
    her_ids: list[str] = Field(min_length=1)
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or ``None``."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authenticate(token: str, senders: Sequence[SenderToken]) -> SenderToken | None:
    """The organisation whose token this is (compared in constant time), or ``None``."""
    digest = token_digest(token)
    found = None
    for sender in senders:
        if hmac.compare_digest(digest, sender.token_sha256):
            found = sender
    return found


class HttpSourceConfig(SourceConfig):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    path: str = Field("/messages", pattern=r"^/")
    max_body_bytes: int = Field(MAX_MESSAGE_BYTES, ge=1024, le=MAX_MESSAGE_BYTES)
    ack_timeout: float = Field(30.0, gt=0)
    # messages held for the broker at once; more are answered 503 at once: while the broker is
    # down nothing is taken from the queue, and every caller's retry added a whole body to it
    max_waiting: int = Field(64, ge=1)
    senders: list[SenderToken] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct_tokens(self) -> HttpSourceConfig:
        digests = [s.token_sha256 for s in self.senders]
        if len(set(digests)) != len(digests):
            raise ValueError("senders: two organisations share a token")
        return self


def problem(status: int, code: str, reason: str) -> web.Response:
    """A refusal: ``{"error": code, "reason": reason}`` with ``status``; a 503 says when to
    try again (``Retry-After``). The reason is the answer to a sender: ids in it are masked."""
    answer = {"error": mask_ids_in(code), "reason": mask_ids_in(reason)}
    response = web.json_response(answer, status=status)
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def refusal(error: ConnectorError) -> web.Response:
    """The answer for a record committed with ``error`` (the broker refused it; it is on the
    dead-letter topic and its message id is not marked published, so it may be sent again)."""
    if error.retriable:
        return problem(503, error.code, str(error))
    too_large = error.code == "T99" or "TooLarge" in error.code
    return problem(413 if too_large else 500, error.code, f"not published: {error}")


Check = Callable[[bytes, SenderToken], Record | web.Response]
"""A body from an authenticated sender → its record, or the response refusing it."""
Submit = Callable[[Record], Awaitable[Record]]
"""Hands a record to the runner; returns it as committed (``error`` set when refused)."""


def build_app(config: HttpSourceConfig, check: Check, submit: Submit) -> web.Application:
    """The aiohttp application serving ``POST {config.path}``."""

    async def receive(request: web.Request) -> web.StreamResponse:
        token = bearer_token(request.headers.get("Authorization"))
        sender = authenticate(token, config.senders) if token else None
        if sender is None:
            response = problem(401, "unauthorized", "missing or unknown bearer token")
            response.headers["WWW-Authenticate"] = 'Bearer realm="samflyt"'
            return response
        too_big = problem(413, "T99", f"body larger than {config.max_body_bytes} bytes")
        if (request.content_length or 0) > config.max_body_bytes:
            return too_big
        try:
            data = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return too_big
        record = check(data, sender)
        if isinstance(record, web.Response):
            return record
        incoming = request.headers.get(TRACEPARENT)
        if is_valid_traceparent(incoming):
            record = record.with_header(TRACEPARENT, incoming or "")
        try:
            committed = await asyncio.wait_for(submit(record), config.ack_timeout)
        except asyncio.QueueFull:
            return problem(503, "busy", "too many messages waiting for the broker; retry")
        except TimeoutError:
            return problem(503, "timeout", "not acknowledged in time; retry")
        except Exception:  # the runner gave up on this batch (it is stopping)
            return problem(503, "unavailable", "could not be published; retry")
        if committed.error is not None:
            return refusal(committed.error)
        return web.json_response(
            {"message_id": committed.message_id or "", "status": "accepted"}, status=202
        )

    app = web.Application(client_max_size=config.max_body_bytes)
    app.router.add_post(config.path, receive)
    return app


HC = TypeVar("HC", bound=HttpSourceConfig)


class HttpSource(Source[HC]):
    """Serves ``POST {path}``; each accepted body becomes a record for the runner. Subclasses
    implement :meth:`check` (see the module docstring for the rest)."""

    def __init__(self, config: HC) -> None:
        super().__init__(config)
        self._queue: asyncio.Queue[tuple[Record, asyncio.Future[Record]]] = asyncio.Queue(
            maxsize=config.max_waiting
        )
        self._waiting: dict[str, list[asyncio.Future[Record]]] = {}
        self._runner: web.AppRunner | None = None
        self.bound_port: int | None = None

    def check(self, body: bytes, sender: SenderToken) -> Record | web.Response:
        """The record of ``body`` from the authenticated ``sender``, or the response refusing
        it (use :func:`problem`). Pure; the request's traceparent is added by the caller."""
        raise NotImplementedError

    async def _submit(self, record: Record) -> Record:
        done: asyncio.Future[Record] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((record, done))  # QueueFull: answered 503 at once
        return await done

    async def on_start(self, committed: Mapping[str, str]) -> None:
        app = build_app(self.config, self.check, self._submit)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        addresses = self._runner.addresses
        self.bound_port = int(addresses[0][1]) if addresses else self.config.port

    async def on_stop(self) -> None:
        # answer every waiting caller first (503: retry), then close the server
        waiting = [f for fs in self._waiting.values() for f in fs]
        while not self._queue.empty():
            waiting.append(self._queue.get_nowait()[1])
        self._waiting.clear()
        for future in waiting:
            if not future.done():
                future.set_exception(RetriableError("ingest stopping"))
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def health(self) -> Health:
        if not self.started:
            return Health(HealthStatus.DOWN, "not started")
        return Health(HealthStatus.OK, f"listening on port {self.bound_port}")

    async def poll(self, max_records: int) -> Sequence[Record]:
        records: list[Record] = []
        with contextlib.suppress(TimeoutError):
            first = await asyncio.wait_for(self._queue.get(), 0.5)
            if not first[1].done():
                records.append(self._take(first))
        while len(records) < max_records and not self._queue.empty():
            item = self._queue.get_nowait()
            if not item[1].done():  # else its caller gave up (503) and sends it again
                records.append(self._take(item))
        return records

    def _take(self, item: tuple[Record, asyncio.Future[Record]]) -> Record:
        record, future = item
        self._waiting.setdefault(record.message_id or "", []).append(future)
        return record

    async def commit(self, records: Sequence[Record]) -> None:
        """Answers each record's caller: accepted, or refused with the record's error."""
        for record in records:
            for future in self._waiting.pop(record.message_id or "", []):
                if not future.done():
                    future.set_result(record)

    async def abandon(self, records: Sequence[Record], error: Exception) -> None:
        for record in records:
            for future in self._waiting.pop(record.message_id or "", []):
                if not future.done():
                    future.set_exception(error)
