"""EPJ HTTP ingest: ``POST`` an XML message, get ``202`` with its message id once the broker has
it, or a 4xx with the reason.

Checks, in order: bearer token (401), body size (413), XML and envelope (400 with the AppRec
code), message type (422), sender HER-id in the envelope against the token's organisation
(403: one municipality cannot send as another). Then the record is handed to the runner; the
response waits until it is acknowledged and committed (a retry with the same message id is
answered 202 again and not published twice). If that takes longer than ``ack_timeout`` the
answer is 503 with ``Retry-After`` — the sender retries, and dedup makes that safe.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import ClassVar

from aiohttp import web
from pydantic import Field, model_validator

from .._envelope import accepts, read_envelope, to_record
from ..sdk import MAX_MESSAGE_BYTES, BadRecordError, Record, RetriableError, Source, SourceConfig
from ..sdk.base import Health, HealthStatus
from ..sdk.headers import TRACEPARENT
from ..sdk.tracing import is_valid_traceparent
from ._auth import SenderToken, authenticate, bearer_token, permitted_sender

__all__ = ["HttpIngestConfig", "HttpIngestSource", "Submit", "build_app"]

Submit = Callable[[Record], Awaitable[None]]


class HttpIngestConfig(SourceConfig):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    path: str = Field("/messages", pattern=r"^/")
    max_body_bytes: int = Field(MAX_MESSAGE_BYTES, ge=1024, le=MAX_MESSAGE_BYTES)
    ack_timeout: float = Field(30.0, gt=0)
    # messages held for the broker at once; more are answered 503 at once: while the broker is
    # down nothing is taken from the queue, and every caller's retry added a whole body to it
    max_waiting: int = Field(64, ge=1)
    accept_types: list[str] | None = Field(None, description="message-type globs; None: all")
    senders: list[SenderToken] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct_tokens(self) -> HttpIngestConfig:
        digests = [s.token_sha256 for s in self.senders]
        if len(set(digests)) != len(digests):
            raise ValueError("senders: two organisations share a token")
        return self


def _problem(status: int, code: str, reason: str) -> web.Response:
    return web.json_response({"error": code, "reason": reason}, status=status)


def build_app(config: HttpIngestConfig, submit: Submit) -> web.Application:
    """The aiohttp application; ``submit`` returns once the record is safely published."""

    async def receive(request: web.Request) -> web.StreamResponse:
        token = bearer_token(request.headers.get("Authorization"))
        sender = authenticate(token, config.senders) if token else None
        if sender is None:
            response = _problem(401, "unauthorized", "missing or unknown bearer token")
            response.headers["WWW-Authenticate"] = 'Bearer realm="samflyt"'
            return response
        if (request.content_length or 0) > config.max_body_bytes:
            return _problem(413, "T99", f"body larger than {config.max_body_bytes} bytes")
        try:
            data = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _problem(413, "T99", f"body larger than {config.max_body_bytes} bytes")
        try:
            envelope = read_envelope(data)
        except BadRecordError as exc:
            return _problem(400, exc.code, str(exc))
        if not accepts(config.accept_types, envelope.msg_type):
            return _problem(422, "T10", f"message type {envelope.msg_type} not accepted here")
        her_id = permitted_sender(sender.her_ids, envelope.sender_her_ids)
        if her_id is None:
            return _problem(
                403, "E21", "the sender HER-id in the envelope is not the authenticated one"
            )
        record = to_record(data, envelope, authenticated_sender=her_id)
        incoming = request.headers.get(TRACEPARENT)
        if is_valid_traceparent(incoming):
            record = record.with_header(TRACEPARENT, incoming or "")
        try:
            await asyncio.wait_for(submit(record), config.ack_timeout)
        except asyncio.QueueFull:
            response = _problem(503, "busy", "too many messages waiting for the broker; retry")
            response.headers["Retry-After"] = "5"
            return response
        except TimeoutError:
            response = _problem(503, "timeout", "not acknowledged in time; retry")
            response.headers["Retry-After"] = "5"
            return response
        except Exception:  # the runner gave up on this batch (it is stopping)
            response = _problem(503, "unavailable", "could not be published; retry")
            response.headers["Retry-After"] = "5"
            return response
        return web.json_response(
            {"message_id": envelope.message_id, "status": "accepted"}, status=202
        )

    app = web.Application(client_max_size=config.max_body_bytes)
    app.router.add_post(config.path, receive)
    return app


class HttpIngestSource(Source[HttpIngestConfig]):
    """Serves ``POST {path}``; each accepted message becomes a record for the runner."""

    name: ClassVar[str] = "epj-http"
    sdk_version: ClassVar[str] = "1.0"
    config_model: ClassVar[type[HttpIngestConfig]] = HttpIngestConfig

    def __init__(self, config: HttpIngestConfig) -> None:
        super().__init__(config)
        self._queue: asyncio.Queue[tuple[Record, asyncio.Future[None]]] = asyncio.Queue(
            maxsize=config.max_waiting
        )
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}
        self._runner: web.AppRunner | None = None
        self.bound_port: int | None = None

    async def _submit(self, record: Record) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((record, done))  # QueueFull: answered 503 at once
        await done

    async def on_start(self, committed: Mapping[str, str]) -> None:
        self._runner = web.AppRunner(build_app(self.config, self._submit), access_log=None)
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

    def _take(self, item: tuple[Record, asyncio.Future[None]]) -> Record:
        record, future = item
        self._waiting.setdefault(record.message_id or "", []).append(future)
        return record

    async def commit(self, records: Sequence[Record]) -> None:
        for record in records:
            for future in self._waiting.pop(record.message_id or "", []):
                if not future.done():
                    future.set_result(None)

    async def abandon(self, records: Sequence[Record], error: Exception) -> None:
        for record in records:
            for future in self._waiting.pop(record.message_id or "", []):
                if not future.done():
                    future.set_exception(error)
