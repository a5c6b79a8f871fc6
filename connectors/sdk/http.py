"""An HTTP source to build on: callers ``POST`` a message and are answered once the runner has
committed it, so a municipality's HTTP connector only says how a body becomes a record.

What :class:`HttpSource` does for its subclass (samflyt's own ``epj-http`` is one): https served
by the process itself (``tls``), optionally with client certificates whose organisation number
names the sender (mutual TLS); bearer tokens per sending organisation, of which the config holds
only SHA-256 digests (``401``/``403``); deadlines for a request's head (``header_timeout``, the
TLS handshake included) and body (``body_timeout``, ``408``), a cap on open connections (more:
``503`` and closed) and on each sender's requests in progress (``429``); a body-size limit
(``413``); parsing in threads, small bodies in a lane of their own; a bounded number of messages
waiting for the broker (more: ``503`` with ``Retry-After`` at once); the answer when the runner
commits the record — ``202`` with its message id, or the broker's refusal (``413`` when too
large) — and ``503`` with ``Retry-After`` when the broker does not acknowledge in time or the
runner is stopping. Refusals say a code and a generic sentence, never what the parser said;
401/403/408/413/429 are logged as security events. A caller that sends the same message again
is safe: the runner publishes a message id once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from aiohttp import web
from pydantic import Field, model_validator

from schemas.redaction import mask_ids_in

from ._http_auth import (
    AuthRefusal,
    Sender,
    SenderToken,
    authenticate,
    bearer_token,
    identify,
    organisation_number,
    token_digest,
)
from ._http_events import generic_reason, security_event
from ._http_guard import CappedConnections, ParseLanes, SenderQuota
from ._http_tls import TlsConfig, server_ssl_context
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
    "Sender",
    "SenderToken",
    "Submit",
    "TlsConfig",
    "authenticate",
    "bearer_token",
    "build_app",
    "problem",
    "refusal",
    "token_digest",
]

RETRY_AFTER_SECONDS = 5
SECURITY_STATUSES = frozenset({401, 403, 408, 413, 429})
"""Refusals logged as security events (the others are the sender's own mistakes)."""
_CODE = web.ResponseKey("samflyt.code", str)
_WHY = web.ResponseKey("samflyt.why", str)


class HttpSourceConfig(SourceConfig):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    path: str = Field("/messages", pattern=r"^/")
    tls: TlsConfig | None = Field(None, description="serve https (and mutual TLS) itself")
    max_body_bytes: int = Field(MAX_MESSAGE_BYTES, ge=1024, le=MAX_MESSAGE_BYTES)
    ack_timeout: float = Field(30.0, gt=0)
    # messages held for the broker at once; more are answered 503 at once: while the broker is
    # down nothing is taken from the queue, and every caller's retry added a whole body to it
    max_waiting: int = Field(64, ge=1)
    # a connection whose request head (or TLS handshake) is not complete this long after it
    # opened, or after the previous answer, is closed: half-open connections were held forever
    header_timeout: float = Field(5.0, gt=0, le=120)
    body_timeout: float = Field(15.0, gt=0, le=600, description="seconds to receive a body")
    max_connections: int = Field(256, ge=1)
    max_requests_per_sender: int = Field(8, ge=1, description="in progress at once")
    parse_workers: int = Field(2, ge=1, le=32, description="threads per parse lane")
    small_body_bytes: int = Field(
        256 * 1024, ge=1, description="bodies up to this size parse in their own lane"
    )
    senders: list[Sender] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct_senders(self) -> HttpSourceConfig:
        digests = [s.token_sha256 for s in self.senders if s.token_sha256 is not None]
        if len(set(digests)) != len(digests):
            raise ValueError("senders: two organisations share a token")
        numbers = [s.organisation_number for s in self.senders if s.organisation_number]
        if len(set(numbers)) != len(numbers):
            raise ValueError("senders: two entries share an organisation_number")
        names = [s.name for s in self.senders]
        if len(set(names)) != len(names):
            raise ValueError("senders: two entries share a name (the security log's 'who')")
        if numbers and (self.tls is None or self.tls.client_ca_file is None):
            raise ValueError("senders: organisation_number needs tls.client_ca_file (mutual TLS)")
        return self


def problem(status: int, code: str, reason: str | None = None, *, why: str = "") -> web.Response:
    """A refusal: ``{"error": code, "reason": reason}`` with ``status``; a 503 says when to try
    again (``Retry-After``). ``reason`` defaults to a generic sentence: never put parser text
    or an id from the message in it (ids are masked anyway). ``why`` goes to the security log
    only."""
    answer = {"error": mask_ids_in(code), "reason": mask_ids_in(reason or generic_reason(status))}
    response = web.json_response(answer, status=status)
    response[_CODE], response[_WHY] = code, why or generic_reason(status)
    if status in (503, 429):
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def refusal(error: ConnectorError) -> web.Response:
    """The answer for a record committed with ``error`` (the broker refused it; it is on the
    dead-letter topic and its message id is not marked published, so it may be sent again)."""
    if error.retriable:
        return problem(503, error.code)
    too_large = error.code == "T99" or "TooLarge" in error.code
    return problem(413 if too_large else 500, error.code, why="the broker refused the record")


Check = Callable[[bytes, Sender], Record | web.Response]
"""A body from an authenticated sender → its record, or the response refusing it. Runs in a
parse thread, not on the event loop."""
Submit = Callable[[Record], Awaitable[Record]]
"""Hands a record to the runner; returns it as committed (``error`` set when refused)."""


def _logged(response: web.Response, request: web.BaseRequest, sender: str | None) -> web.Response:
    if response.status in SECURITY_STATUSES:
        code, why = response.get(_CODE, str(response.status)), response.get(_WHY, "")
        security_event(response.status, code, why, sender=sender, peer=request.remote)
    return response


def _unauthenticated(refused: AuthRefusal) -> web.Response:
    response = problem(
        refused.status, "unauthorized" if refused.status == 401 else "forbidden", why=refused.reason
    )
    if refused.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="samflyt"'
    return response


def _caller(request: web.BaseRequest, config: HttpSourceConfig) -> Sender | AuthRefusal:
    transport = request.transport
    certificate = transport.get_extra_info("peercert") if transport is not None else None
    return identify(
        config.senders,
        token=bearer_token(request.headers.get("Authorization")),
        certified_organisation=organisation_number(certificate),
    )


async def _cut_off(request: web.Request) -> web.Response:
    """Answer 408 and close at once: aiohttp would otherwise linger reading the rest of the
    body the caller is not sending."""
    slow = problem(408, "timeout", why="body not received within body_timeout")
    await slow.prepare(request)
    await slow.write_eof()
    request.protocol.force_close()
    return slow


def build_app(config: HttpSourceConfig, check: Check, submit: Submit) -> web.Application:
    """The aiohttp application serving ``POST {config.path}``."""
    quota = SenderQuota(config.max_requests_per_sender)
    lanes = ParseLanes(config.parse_workers, config.small_body_bytes)

    async def receive(request: web.Request) -> web.StreamResponse:
        sender = _caller(request, config)
        if isinstance(sender, AuthRefusal):
            return _logged(_unauthenticated(sender), request, None)
        if not quota.try_acquire(sender.name):
            return _logged(
                problem(429, "busy", why="sender's request quota reached"), request, sender.name
            )
        try:
            return _logged(await accept(request, sender), request, sender.name)
        finally:
            quota.release(sender.name)

    async def accept(request: web.Request, sender: Sender) -> web.Response:
        too_big = problem(
            413,
            "T99",
            f"body larger than {config.max_body_bytes} bytes",
            why="body over max_body_bytes",
        )
        if (request.content_length or 0) > config.max_body_bytes:
            return too_big
        try:
            data = await asyncio.wait_for(request.read(), config.body_timeout)
        except web.HTTPRequestEntityTooLarge:
            return too_big
        except TimeoutError:
            return await _cut_off(request)
        loop = asyncio.get_running_loop()
        record = await loop.run_in_executor(lanes.pool_for(len(data)), check, data, sender)
        if isinstance(record, web.Response):
            return record
        incoming = request.headers.get(TRACEPARENT)
        if is_valid_traceparent(incoming):
            record = record.with_header(TRACEPARENT, incoming or "")
        return await publish(record)

    async def publish(record: Record) -> web.Response:
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

    async def stop_lanes(app: web.Application) -> None:
        lanes.shutdown()

    app = web.Application(client_max_size=config.max_body_bytes)
    app.router.add_post(config.path, receive)
    app.on_cleanup.append(stop_lanes)
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
        self._listener: asyncio.Server | None = None
        self.bound_port: int | None = None

    def check(self, body: bytes, sender: Sender) -> Record | web.Response:
        """The record of ``body`` from the authenticated ``sender``, or the response refusing
        it (use :func:`problem`). Pure (it runs in a parse thread); the request's traceparent
        is added by the caller."""
        raise NotImplementedError

    async def _submit(self, record: Record) -> Record:
        done: asyncio.Future[Record] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((record, done))  # QueueFull: answered 503 at once
        return await done

    async def on_start(self, committed: Mapping[str, str]) -> None:
        config = self.config
        app = build_app(config, self.check, self._submit)
        # aiohttp closes a connection whose request head is incomplete when its keep-alive
        # timer fires, armed at connect and after each answer: the header deadline
        self._runner = web.AppRunner(app, access_log=None, keepalive_timeout=config.header_timeout)
        await self._runner.setup()
        server = self._runner.server
        assert server is not None
        context = server_ssl_context(config.tls) if config.tls is not None else None
        self._listener = await asyncio.get_running_loop().create_server(
            CappedConnections(server, config.max_connections),
            config.host,
            config.port,
            ssl=context,
            ssl_handshake_timeout=config.header_timeout if context is not None else None,
        )
        self.bound_port = int(self._listener.sockets[0].getsockname()[1])

    async def on_stop(self) -> None:
        # answer every waiting caller first (503: retry), then close the server
        waiting = [f for fs in self._waiting.values() for f in fs]
        while not self._queue.empty():
            waiting.append(self._queue.get_nowait()[1])
        self._waiting.clear()
        for future in waiting:
            if not future.done():
                future.set_exception(RetriableError("ingest stopping"))
        if self._listener is not None:
            self._listener.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._listener is not None:
            await self._listener.wait_closed()
            self._listener = None

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
