"""Test doubles used by the conformance suite (re-exported from :mod:`connectors.sdk.testing`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from aiohttp import web

from ..kafka import Ack, Outgoing
from . import headers as h

__all__ = ["HttpEndpoint", "MemoryPublisher"]


class MemoryPublisher:
    """A publisher that keeps what it is given. ``fail_next`` makes the next N items fail with
    ``error`` (retriable when it has ``retriable = True``)."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        self.fail_next = 0
        self.error: BaseException = ConnectionError("broker unavailable")

    async def publish(self, items: Sequence[Outgoing]) -> list[Ack | BaseException]:
        results: list[Ack | BaseException] = []
        for item in items:
            if self.fail_next > 0:
                self.fail_next -= 1
                results.append(self.error)
                continue
            self.sent.append(item)
            results.append(Ack(item.topic, 0, len(self.sent) - 1))
        return results

    def on(self, topic: str) -> list[Outgoing]:
        return [o for o in self.sent if o.topic == topic]

    def message_ids(self, topic: str) -> list[str]:
        return [h.get_header(o.headers, h.MESSAGE_ID) or "" for o in self.on(topic)]


class HttpEndpoint:
    """A local HTTP endpoint that records what is POSTed (by ``Idempotency-Key``) and answers
    ``status`` (200 by default; set 503 to simulate an outage); message ids in ``refuse`` are
    answered 400."""

    def __init__(self) -> None:
        self.status = 200
        self.refuse: set[str] = set()
        self.received: Counter[str] = Counter()
        self.calls = 0
        self.traceparents: list[str] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        await request.read()
        key = request.headers.get("Idempotency-Key", "")
        if key in self.refuse:
            return web.Response(status=400)
        if self.status >= 300:
            return web.Response(status=self.status)
        self.received[key] += 1
        self.traceparents.append(request.headers.get("traceparent", ""))
        return web.Response(status=self.status)

    async def start(self) -> HttpEndpoint:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/in"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
